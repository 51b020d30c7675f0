"""Web-page boilerplate (cookie banners, nav bars, ads, footers, share buttons) and the HTML page wrapper.

Every phrase used is in `BOILERPLATE_PHRASES`, and each page records which ones it contains, so an extractor
can be scored on how much boilerplate survives.
"""

from __future__ import annotations

import html
import random

COOKIE = ["We use cookies to improve your experience on our site.",
          "This website uses cookies. By continuing to browse you agree to our use of cookies.",
          "We value your privacy. Click Accept to allow all cookies.",
          "Our partners and we store and access information on your device."]
COOKIE_BUTTONS = ["Accept all cookies", "Manage preferences", "Reject non-essential cookies"]
NAV = ["Home", "News", "About us", "Contact", "Archive", "Categories", "Log in", "Sign up", "Search this site",
       "Latest stories", "Shop", "Help centre", "Community"]
ADS = ["Advertisement: Save 20% on your next holiday booking today.",
       "Sponsored: Discover the comfiest running shoes of the season.",
       "Ad: Learn a new language in just ten minutes a day.",
       "Sponsored content: Why thousands are switching their phone plan.",
       "Advertisement: Fresh meal kits delivered to your door every week."]
SHARE = ["Share on Facebook", "Share on X", "Email this page", "Print this article", "Copy link"]
RELATED_HEAD = ["Related articles", "You may also like", "More from this section", "Popular this week"]
RELATED = ["Ten tips for a tidier kitchen", "How to plan a weekend hiking trip", "The best budget headphones reviewed",
           "Five easy recipes for busy weeknights", "Why sleep matters more than you think",
           "A beginner's guide to growing tomatoes", "What to pack for a rainy holiday",
           "How to keep houseplants alive in winter", "The history of the humble bicycle bell",
           "Simple stretches for people who sit all day"]
FOOTER = ["All rights reserved.", "Privacy policy", "Terms of use", "Cookie settings", "Accessibility statement",
          "Subscribe to our newsletter", "Follow us on social media", "Back to top"]
NEWSLETTER = ["Sign up for our weekly newsletter and never miss a story.",
              "Get the best stories delivered to your inbox every morning."]
COMMENTS = ["Comments are closed for this article.", "Log in to leave a comment.",
            "Be the first to comment on this story."]

BOILERPLATE_PHRASES: list[str] = sorted(set(
    COOKIE + COOKIE_BUTTONS + NAV + ADS + SHARE + RELATED_HEAD + RELATED + FOOTER + NEWSLETTER + COMMENTS))

E = html.escape


def wrap_html(title: str, body_html: str, site: str, rng: random.Random, lang: str = "en",
              chrome: dict | None = None) -> tuple[str, list[str]]:
    """Full HTML document around `body_html`; returns (html, boilerplate phrases used)."""
    c = chrome or {}
    used: list[str] = []

    def use(p: str) -> str:
        used.append(p)
        return E(p)

    parts = [f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
             f"<title>{E(title)} | {E(site)}</title>\n"
             f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
             f'<link rel="stylesheet" href="/static/main.css">\n<script src="/static/analytics.js"></script>\n'
             f"</head>\n<body>\n"]
    nav = c.get("nav") or rng.sample(NAV, rng.randint(4, 7))
    if c.get("cookie", rng.random() < 0.7):
        parts.append(f'<div class="cookie-banner" id="cookie-consent"><p>{use(rng.choice(COOKIE))}</p>'
                     f"<button>{use(rng.choice(COOKIE_BUTTONS))}</button></div>\n")
    parts.append(f'<header><div class="logo"><a href="/">{E(site)}</a></div>\n<nav><ul>'
                 + "".join(f'<li><a href="/{i}">{use(n)}</a></li>' for i, n in enumerate(nav)) + "</ul></nav></header>\n")
    if rng.random() < 0.6:
        parts.append(f'<div class="ad-banner">{use(rng.choice(ADS))}</div>\n')
    parts.append(f'<main>\n<article>\n<h1>{E(title)}</h1>\n{body_html}\n</article>\n')
    if rng.random() < 0.6:
        parts.append('<div class="share-buttons">' + " ".join(
            f'<a href="#share">{use(s)}</a>' for s in rng.sample(SHARE, 3)) + "</div>\n")
    if rng.random() < 0.4:
        parts.append(f'<div class="comments"><p>{use(rng.choice(COMMENTS))}</p></div>\n')
    parts.append("</main>\n")
    if rng.random() < 0.7:
        parts.append(f'<aside class="related"><h3>{use(rng.choice(RELATED_HEAD))}</h3><ul>'
                     + "".join(f'<li><a href="/r/{i}">{use(r)}</a></li>' for i, r in enumerate(rng.sample(RELATED, 3)))
                     + "</ul></aside>\n")
    if rng.random() < 0.5:
        parts.append(f'<div class="newsletter"><p>{use(rng.choice(NEWSLETTER))}</p></div>\n')
    year = rng.randint(2015, 2024)
    parts.append(f'<footer><p>&copy; {year} {E(site)}. {use("All rights reserved.")}</p><ul>'
                 + "".join(f'<li><a href="/f{i}">{use(f)}</a></li>' for i, f in
                           enumerate(rng.sample(FOOTER[1:], 4))) + "</ul></footer>\n</body>\n</html>\n")
    return "".join(parts), sorted(set(used))


def paragraphs_html(paragraphs: list[str]) -> str:
    return "\n".join(f"<p>{E(p)}</p>" for p in paragraphs)
