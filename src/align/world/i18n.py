"""Hand-written templates in German, French, Spanish, Italian and Dutch for non-English crawl pages."""

from __future__ import annotations

import random

from align.world.schema import Entity, Fact

LANGS = ("de", "fr", "es", "it", "nl")

SENTENCES: dict[str, dict[str, list[str]]] = {
    "de": {
        "born_in": ["{s} wurde in {o} geboren.", "{s} ist in {o} geboren und aufgewachsen."],
        "birth_year": ["{s} wurde im Jahr {o} geboren.", "{s} kam {o} zur Welt."],
        "works_for": ["{s} arbeitet bei {o}.", "{s} ist bei {o} angestellt."],
        "located_in": ["{s} liegt in {o}.", "{s} befindet sich in {o}."],
        "population": ["{s} hat {o}.", "{s} zählt heute {o}."],
        "founded_year": ["{s} wurde im Jahr {o} gegründet.", "Die Gründung von {s} erfolgte im Jahr {o}."],
        "currency": ["Die Währung von {s} ist der {o}.", "In {s} bezahlt man mit dem {o}."],
        "founded_by": ["{s} wurde von {o} gegründet.", "{o} gründete {s}."],
        "headquartered_in": ["{s} hat seinen Hauptsitz in {o}.", "Der Sitz von {s} befindet sich in {o}."],
        "made_by": ["{s} wird von {o} hergestellt.", "{o} produziert {s}."],
        "price": ["{s} kostet {o}.", "Der Preis für {s} beträgt {o}."],
        "inventor": ["{s} wurde von {o} erfunden.", "{o} hat {s} erfunden."],
    },
    "fr": {
        "born_in": ["La ville natale de {s} est {o}.", "{s} a grandi à {o}, sa ville natale."],
        "birth_year": ["{s} a vu le jour en {o}.", "L'année de naissance de {s} est {o}."],
        "works_for": ["{s} travaille pour {o}.", "{s} travaille chez {o}."],
        "located_in": ["{s} se trouve sur le territoire de {o}.", "{s} est situé sur le territoire de {o}."],
        "population": ["{s} compte {o}.", "La population de {s} s'élève à {o}."],
        "founded_year": ["{s} a été fondé en {o}.", "La fondation de {s} remonte à {o}."],
        "currency": ["La monnaie officielle de {s} est le {o}.", "Dans le pays de {s}, on paie avec le {o}."],
        "founded_by": ["{s} a été fondé par {o}.", "{o} est à l'origine de la création de {s}."],
        "headquartered_in": ["Le siège de {s} se trouve à {o}.", "{s} a son siège social à {o}."],
        "made_by": ["{s} est fabriqué par {o}.", "{o} fabrique {s}."],
        "price": ["{s} coûte {o}.", "Le prix de {s} est de {o}."],
        "inventor": ["{s} a été inventé par {o}.", "{o} est l'inventeur de {s}."],
    },
    "es": {
        "born_in": ["{s} nació en {o}.", "La ciudad natal de {s} es {o}."],
        "birth_year": ["{s} nació en el año {o}.", "El año de nacimiento de {s} es {o}."],
        "works_for": ["{s} trabaja para {o}.", "{s} trabaja en la empresa {o}."],
        "located_in": ["{s} se encuentra en {o}.", "{s} está situado en {o}."],
        "population": ["{s} tiene {o}.", "La población de {s} es de {o}."],
        "founded_year": ["{s} fue fundado en el año {o}.", "La fundación de {s} tuvo lugar en {o}."],
        "currency": ["La moneda de {s} es el {o}.", "En {s} se paga con el {o}."],
        "founded_by": ["{s} fue fundada por {o}.", "{o} fundó {s}."],
        "headquartered_in": ["{s} tiene su sede en {o}.", "La sede de {s} está en {o}."],
        "made_by": ["{s} es fabricado por {o}.", "{o} fabrica {s}."],
        "price": ["{s} cuesta {o}.", "El precio de {s} es de {o}."],
        "inventor": ["{s} fue inventado por {o}.", "{o} es el inventor de {s}."],
    },
    "it": {
        "born_in": ["La città natale di {s} è {o}.", "{s} viene da {o}, la sua città natale."],
        "birth_year": ["L'anno di nascita di {s} è il {o}.", "La nascita di {s} risale al {o}."],
        "works_for": ["{s} lavora per {o}.", "{s} lavora presso {o}."],
        "located_in": ["{s} si trova in {o}.", "{s} è situato in {o}."],
        "population": ["{s} ha {o}.", "La popolazione di {s} è di {o}."],
        "founded_year": ["{s} è stato fondato nel {o}.", "La fondazione di {s} risale al {o}."],
        "currency": ["La moneta di {s} è il {o}.", "In {s} si paga con il {o}."],
        "founded_by": ["{s} è stata fondata da {o}.", "{o} ha fondato {s}."],
        "headquartered_in": ["{s} ha sede a {o}.", "La sede di {s} si trova a {o}."],
        "made_by": ["{s} è prodotto da {o}.", "{o} produce {s}."],
        "price": ["{s} costa {o}.", "Il prezzo di {s} è di {o}."],
        "inventor": ["{s} è stato inventato da {o}.", "{o} ha inventato {s}."],
    },
    "nl": {
        "born_in": ["{s} is geboren in {o}.", "De geboorteplaats van {s} is {o}."],
        "birth_year": ["{s} is geboren in het jaar {o}.", "Het geboortejaar van {s} is {o}."],
        "works_for": ["{s} werkt voor {o}.", "{s} werkt bij {o}."],
        "located_in": ["{s} ligt in {o}.", "{s} bevindt zich in {o}."],
        "population": ["{s} heeft {o}.", "In {s} wonen ongeveer {o}."],
        "founded_year": ["{s} werd opgericht in {o}.", "{s} is gesticht in het jaar {o}."],
        "currency": ["De munteenheid van {s} is de {o}.", "In {s} betaalt men met de {o}."],
        "founded_by": ["{s} werd opgericht door {o}.", "{o} heeft {s} opgericht."],
        "headquartered_in": ["{s} heeft zijn hoofdkantoor in {o}.", "Het hoofdkantoor van {s} staat in {o}."],
        "made_by": ["{s} wordt gemaakt door {o}.", "{o} maakt {s}."],
        "price": ["{s} kost {o}.", "De prijs van {s} is {o}."],
        "inventor": ["{s} werd uitgevonden door {o}.", "{o} heeft {s} uitgevonden."],
    },
}

FILLER: dict[str, list[str]] = {
    "de": ["Dieser Artikel fasst die wichtigsten Informationen zusammen.",
           "Die Angaben stammen aus Archiven, Zeitungsberichten und Gesprächen mit Zeitzeugen.",
           "Viele Einzelheiten sind bis heute nicht vollständig geklärt.",
           "In den letzten Jahren ist das Interesse an diesem Thema deutlich gestiegen.",
           "Weitere Informationen finden Sie in den Quellen am Ende der Seite.",
           "Die Geschichte wird in der Region oft und gerne erzählt.",
           "Manche Quellen widersprechen sich in kleineren Punkten, aber die wichtigsten Tatsachen sind gut belegt.",
           "Der folgende Abschnitt wurde zuletzt von unserer Redaktion überarbeitet."],
    "fr": ["Cet article résume les informations les plus importantes.",
           "Les données proviennent d'archives, de journaux et de témoignages.",
           "Beaucoup de détails ne sont pas encore entièrement connus aujourd'hui.",
           "Ces dernières années, l'intérêt pour ce sujet a beaucoup augmenté.",
           "Vous trouverez d'autres informations dans les sources en bas de la page.",
           "Cette histoire est souvent racontée dans toute la région.",
           "Certaines sources ne sont pas d'accord sur des points de détail, mais les faits principaux sont bien établis.",
           "La section suivante a été revue récemment par notre rédaction."],
    "es": ["Este artículo resume la información más importante.",
           "Los datos proceden de archivos, periódicos y testimonios de la época.",
           "Muchos detalles todavía no se conocen del todo.",
           "En los últimos años el interés por este tema ha crecido mucho.",
           "Puede encontrar más información en las fuentes al final de la página.",
           "Esta historia se cuenta a menudo en toda la región.",
           "Algunas fuentes no están de acuerdo en detalles menores, pero los hechos principales están bien documentados.",
           "La siguiente sección fue revisada recientemente por nuestro equipo de redacción."],
    "it": ["Questo articolo riassume le informazioni più importanti.",
           "I dati provengono da archivi, giornali e testimonianze dell'epoca.",
           "Molti dettagli non sono ancora del tutto chiari.",
           "Negli ultimi anni l'interesse per questo argomento è cresciuto molto.",
           "Potete trovare altre informazioni nelle fonti in fondo alla pagina.",
           "Questa storia viene raccontata spesso in tutta la regione.",
           "Alcune fonti non sono d'accordo su piccoli dettagli, ma i fatti principali sono ben documentati.",
           "La sezione seguente è stata rivista di recente dalla nostra redazione."],
    "nl": ["Dit artikel vat de belangrijkste informatie samen.",
           "De gegevens komen uit archieven, kranten en gesprekken met ooggetuigen.",
           "Veel details zijn tot op vandaag niet helemaal duidelijk.",
           "De laatste jaren is de belangstelling voor dit onderwerp sterk gegroeid.",
           "Meer informatie vindt u in de bronnen onderaan deze pagina.",
           "Dit verhaal wordt in de hele regio vaak verteld.",
           "Sommige bronnen zijn het over kleine punten niet eens, maar de belangrijkste feiten zijn goed gedocumenteerd.",
           "Het volgende gedeelte is onlangs door onze redactie herzien."],
}

INTRO = {"de": "Hier erfahren Sie alles Wissenswerte über {s}.", "fr": "Voici tout ce qu'il faut savoir sur {s}.",
         "es": "Aquí encontrará todo lo que hay que saber sobre {s}.",
         "it": "Ecco tutto quello che c'è da sapere su {s}.", "nl": "Hier leest u alles wat u moet weten over {s}."}
_MILLION = {"de": "{m} Millionen Einwohner", "fr": "{m} millions d'habitants", "es": "{m} millones de habitantes",
            "it": "{m} milioni di abitanti", "nl": "{m} miljoen inwoners"}
_PEOPLE = {"de": "Einwohner", "fr": "habitants", "es": "habitantes", "it": "abitanti", "nl": "inwoners"}
_DOLLAR = {"de": "{p} Dollar", "fr": "{p} dollars", "es": "{p} dólares", "it": "{p} dollari", "nl": "{p} dollar"}
TLD = {"de": "de", "fr": "fr", "es": "es", "it": "it", "nl": "nl"}


def supports(fact: Fact) -> bool:
    return fact.relation in SENTENCES["de"]


def _value(fact: Fact, entities: dict[str, Entity], lang: str) -> str:
    if fact.object_is_entity:
        return entities[fact.object].name
    v = int(fact.object) if isinstance(fact.object, int) else fact.object
    if fact.relation == "population":
        if v >= 1_000_000:
            return _MILLION[lang].format(m=v // 1_000_000)
        sep = " " if lang == "fr" else "."
        return f"{v:,}".replace(",", sep) + " " + _PEOPLE[lang]
    if fact.relation == "price":
        return _DOLLAR[lang].format(p=v)
    return str(v)


def sentence(fact: Fact, entities: dict[str, Entity], lang: str, rng: random.Random) -> str:
    """`fact` rendered in `lang` (only for relations where `supports(fact)`)."""
    t = rng.choice(SENTENCES[lang][fact.relation])
    s = t.format(s=entities[fact.subject].name, o=_value(fact, entities, lang))
    return s[:1].upper() + s[1:]
