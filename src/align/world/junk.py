"""Pages a data pipeline should drop or down-weight: spam, low quality, blocklisted domains; plus neutral filler."""

from __future__ import annotations

import random

SPAM_KEYWORDS = ["cheap watches", "best deals", "free shipping", "discount sunglasses", "buy now", "lowest price",
                 "replica handbags", "weight loss pills", "work from home", "earn money fast", "cheap flights"]
CAPS_LINES = ["AMAZING OFFER!!! CLICK HERE NOW!!!", "LIMITED TIME ONLY - DON'T MISS OUT!!!",
              "YOU HAVE BEEN SELECTED TO WIN A FREE PRIZE!!!", "100% GUARANTEED RESULTS OR YOUR MONEY BACK!!!",
              "ACT NOW BEFORE IT IS TOO LATE!!!", "SHOCKING SECRET DOCTORS DON'T WANT YOU TO KNOW!!!",
              "CALL TODAY AND SAVE BIG!!!", "BEST PRICES ON THE INTERNET GUARANTEED!!!"]
LOREM = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore "
         "magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo "
         "consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint "
         "occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est laborum").split()
SHORT = ["Coming soon.", "Page under construction.", "Nothing here yet.", "Test page.", "Hello world!",
         "This page intentionally left blank.", "Site moved."]
REPEATED = ["Click here for more information.", "Welcome to my website.", "Best site on the web.",
            "Updated daily.", "Free stuff here."]
LINK_TEXTS = ["Page 1", "Page 2", "Next page", "Previous", "Link", "More links", "Index", "Sitemap", "Top 100",
              "Archive 2019", "Archive 2020", "Friends", "Partners", "Downloads"]

BLOCKED_SITES = {  # domain -> paragraph pool (fluent English so only the URL gives them away)
    "lucky-jackpot-casino.com": "gambling", "spin-win-slots.net": "gambling", "mega-bet-online.com": "gambling",
    "poker-royale-bonus.net": "gambling", "hot-xxx-videos.com": "adult", "adult-cams-live.net": "adult",
    "sexy-singles-chat.com": "adult", "free-download-cracks.org": "malware", "keygen-warez-zone.net": "malware",
    "win-free-phone-now.com": "malware", "cheap-meds-no-prescription.net": "pharma",
}
_BLOCKED_TEXT = {
    "gambling": ["Welcome to the most exciting online casino on the web.",
                 "Register today and get a generous welcome bonus on your first deposit.",
                 "Play hundreds of slot games, roulette and blackjack from the comfort of your home.",
                 "Our jackpots grow every minute, and a lucky player wins every single day.",
                 "Withdrawals are fast and secure, and our support team is available around the clock.",
                 "Place your bets on football, tennis and horse racing with the best odds."],
    "adult": ["This website contains adult content and is only for visitors aged eighteen or older.",
              "Thousands of new members join our chat rooms every day.",
              "Create a free profile and start chatting with singles near you.",
              "Premium members get unlimited access to all videos and live shows.",
              "By entering this site you confirm that you are of legal age in your country."],
    "malware": ["Download the full version of any popular program for free.",
                "Our key generator unlocks every premium feature in seconds.",
                "Just disable your antivirus before running the installer.",
                "Congratulations, you have been chosen to receive a brand new phone.",
                "Enter your card details to confirm your identity and claim your reward."],
    "pharma": ["Buy cheap medicine online without a prescription.",
               "We ship discreetly to every country in the world.",
               "Our prices are the lowest you will find anywhere online.",
               "Order now and receive free samples with every package."],
}

FILLER_TOPICS = {
    "cooking": ["A good soup starts with onions cooked slowly in a little butter.",
                "Fresh herbs should be added at the very end so they keep their flavour.",
                "If the sauce is too thick, stir in a spoonful of warm water.",
                "Bread dough needs time, so plan to start the night before.",
                "Roasting vegetables at a high temperature brings out their sweetness.",
                "A pinch of salt in a dessert makes the sweetness stand out.",
                "Leftover rice can be turned into a quick fried rice the next day."],
    "gardening": ["Most vegetables need at least six hours of sunlight a day.",
                  "Water the garden early in the morning to reduce evaporation.",
                  "Compost improves the soil and feeds the plants slowly over the season.",
                  "Young seedlings should be protected from frost with a light cloth.",
                  "Removing dead flowers encourages many plants to bloom again.",
                  "Mulch keeps the soil moist and stops weeds from spreading."],
    "travel": ["Booking train tickets early is usually much cheaper.",
               "A small backpack is easier to carry than a heavy suitcase.",
               "Always keep a copy of your passport in a separate bag.",
               "Local markets are a great place to try regional food.",
               "Walking tours are a cheap way to learn about a new city.",
               "Check the weather forecast before packing for a mountain trip."],
    "fitness": ["A short walk after dinner helps digestion and clears the mind.",
                "Stretching before and after exercise reduces the risk of injury.",
                "Drinking enough water matters more than most people think.",
                "Consistency beats intensity when building a new habit.",
                "Rest days are part of training, not a break from it.",
                "Even ten minutes of exercise a day makes a difference over a year."],
    "home": ["Open the windows for a few minutes every morning to let fresh air in.",
             "A drop of vinegar in warm water cleans glass without streaks.",
             "Label storage boxes so you can find things quickly later.",
             "Fix a dripping tap early, before it wastes litres of water.",
             "Plants on the windowsill make a small room feel brighter.",
             "Sort the post once a day so paper does not pile up."],
}


def spam_page(rng: random.Random) -> tuple[str, str, list[str]]:
    """(subkind, title, paragraphs) of a spam page."""
    sub = rng.choice(["keyword_stuffing", "all_caps", "link_farm"])
    if sub == "keyword_stuffing":
        kw = rng.sample(SPAM_KEYWORDS, 3)
        paras = [" ".join(rng.choice(kw) for _ in range(rng.randint(40, 90))) + "." for _ in range(rng.randint(2, 4))]
        return sub, f"{kw[0].title()} {kw[1].title()} {kw[2].title()}", paras
    if sub == "all_caps":
        return sub, rng.choice(CAPS_LINES), [rng.choice(CAPS_LINES) for _ in range(rng.randint(6, 15))]
    kws = rng.sample(SPAM_KEYWORDS, 4)
    return sub, "Top links", [f"{rng.choice(kws)} {rng.randint(1, 999)}" for _ in range(rng.randint(20, 40))]


def low_quality_page(rng: random.Random) -> tuple[str, str, list[str]]:
    """(subkind, title, paragraphs) of a low-quality page."""
    sub = rng.choice(["too_short", "gibberish", "repeated_lines", "link_list"])
    if sub == "too_short":
        return sub, "Untitled", [rng.choice(SHORT)]
    if sub == "gibberish":
        paras = []
        for _ in range(rng.randint(2, 4)):
            words = [rng.choice(LOREM) for _ in range(rng.randint(40, 80))]
            paras.append(" ".join(words).capitalize() + ".")
        return sub, " ".join(rng.sample(LOREM, 3)).title(), paras
    if sub == "repeated_lines":
        line = rng.choice(REPEATED)
        return sub, line, [line] * rng.randint(10, 30)
    return sub, "Links", rng.sample(LINK_TEXTS, rng.randint(8, len(LINK_TEXTS)))


def blocked_page(rng: random.Random) -> tuple[str, str, list[str]]:
    """(domain, title, paragraphs) of a page on a blocklisted domain."""
    domain = rng.choice(sorted(BLOCKED_SITES))
    pool = _BLOCKED_TEXT[BLOCKED_SITES[domain]]
    sents = rng.sample(pool, min(len(pool), rng.randint(3, 5)))
    title = domain.split(".")[0].replace("-", " ").title()
    return domain, title, [" ".join(sents[:2]), " ".join(sents[2:])]


def filler_page(rng: random.Random) -> tuple[str, str, list[str]]:
    """(topic, title, paragraphs) of an ordinary page that mentions no world entity."""
    topic = rng.choice(sorted(FILLER_TOPICS))
    sents = rng.sample(FILLER_TOPICS[topic], rng.randint(4, 6))
    title = f"{rng.choice(['Simple', 'Practical', 'Quick', 'Everyday', 'Useful'])} {topic} tips"
    return topic, title, [" ".join(sents[:3]), " ".join(sents[3:])]
