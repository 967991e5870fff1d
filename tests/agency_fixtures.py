"""German agency copy for the tests of §10: items as a desk receives them, with arrival times.

Each item is a raw .txt (headline, blank line, body) in the inbox folder; its time is the
file's modification time, as for copy that arrives without a date. `expected` says where each
one must land.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from .conftest import write_site

CONFIG = """\
title: Agenturticker
base_url: https://example.org/ticker/
language: de
timezone: Europe/Berlin
default_topic: Vermischtes
inbox_dir: eingang
topics:
  sport:
    name: Sport
    keywords: [Bundesliga*, "*fußball*", Tor, Trainer, Olympia*, Spieltag, Stürmer]
    exclude: [Tischfußball*]
  politik:
    name: Politik
    keywords: [Bundestag*, Bundesregierung, Koalition*, Minister*, Kanzler*, Wahl*,
               Präsident*, Parlament*, Abgeordnete*]
  wirtschaft:
    name: Wirtschaft
    keywords: [Inflation*, Unternehmen*, "*umsatz*", Dax, Börse*, Zentralbank*, Konjunktur*,
               Verbraucherpreise, Gewerkschaft*, Tarif*, Streik*]
"""

BAHN_1 = """\
Lokführer legen Güterverkehr lahm

Berlin (dpa) - Die Lokführergewerkschaft GDL hat ihre Mitglieder im Güterverkehr der
Deutschen Bahn zu einem Streik aufgerufen. Der Ausstand solle am Dienstagabend um 18 Uhr
beginnen und bis Donnerstagmorgen dauern, teilte die Gewerkschaft in Frankfurt mit. Im
Personenverkehr werde ab Mittwoch um zwei Uhr gestreikt. Die Bahn kritisierte den Aufruf
als unverhältnismäßig und kündigte einen Notfahrplan an.
"""

BAHN_2 = BAHN_1 + """
Fahrgäste müssen sich nach Angaben des Unternehmens auf massive Einschränkungen einstellen.
Im Fernverkehr solle nur etwa jeder fünfte Zug fahren, im Regionalverkehr gebe es große
regionale Unterschiede. Die Bahn rief Reisende auf, nicht notwendige Fahrten zu verschieben.
"""

BAHN_3 = """\
Zusammenfassung: GDL-Streik legt Bahnverkehr weitgehend lahm

Berlin (dpa) – Die Lokführergewerkschaft GDL hat ihre Mitglieder im Güterverkehr der
Deutschen Bahn zu einem Streik aufgerufen. Der Ausstand solle am Dienstagabend um 18 Uhr
beginnen und bis Donnerstagmorgen dauern, teilte die Gewerkschaft in Frankfurt mit. Im
Personenverkehr werde ab Mittwoch um zwei Uhr gestreikt. Die Bahn kritisierte den Aufruf
als unverhältnismäßig und kündigte einen Notfahrplan an.

Fahrgäste müssen sich nach Angaben des Unternehmens auf massive Einschränkungen einstellen.
Im Fernverkehr solle nur etwa jeder fünfte Zug fahren, im Regionalverkehr gebe es große
regionale Unterschiede. Die Bahn rief Reisende auf, nicht notwendige Fahrten zu verschieben.

Der Fahrgastverband Pro Bahn forderte beide Seiten auf, an den Verhandlungstisch
zurückzukehren. Die Tarifverhandlungen waren in der vergangenen Woche ohne Ergebnis
abgebrochen worden.
"""

HITZE_REUTERS = """\
Hitzewelle: Kommunen öffnen Kühlräume

Köln (Reuters) - Wegen der anhaltenden Hitze öffnen zahlreiche Städte in Nordrhein-Westfalen
klimatisierte Räume für ältere und kranke Menschen. In Köln, Düsseldorf und Dortmund stünden
ab Mittwoch Bibliotheken und Gemeindesäle bis in den Abend offen, teilten die Städte mit. Der
Deutsche Wetterdienst erwartet bis zum Wochenende Temperaturen von bis zu 36 Grad. Ärzte raten,
viel zu trinken und körperliche Anstrengung in der Mittagszeit zu meiden.
"""

HITZE_AFP = """\
Städte in NRW öffnen Kühlräume gegen die Hitze

Köln (AFP) – Wegen der anhaltenden Hitze öffnen zahlreiche Städte in Nordrhein-Westfalen
klimatisierte Räume für ältere und kranke Menschen. In Köln, Düsseldorf und Dortmund stünden
ab Mittwoch Bibliotheken und Gemeindesäle bis in den späten Abend offen, teilten die Städte
am Dienstag mit. Der Deutsche Wetterdienst erwartet bis zum Wochenende Temperaturen von bis
zu 36 Grad. Ärzte raten, viel zu trinken und körperliche Anstrengung in der Mittagszeit zu meiden.
"""

ITEMS: dict[str, tuple[str, str]] = {
    # file: (arrival time in the site timezone, text)
    "bayern-gewinnt.txt": ("2025-06-03 21:40", """\
Bayern gewinnt Spitzenspiel der Bundesliga

München (dpa) - Der FC Bayern München hat das Spitzenspiel gegen Bayer Leverkusen mit 3:1
gewonnen. Vor 75.000 Zuschauern erzielte der Stürmer Harry Kane zwei Tore, den dritten Treffer
steuerte Jamal Musiala bei. Der Trainer lobte nach dem Spiel die Geschlossenheit seiner
Mannschaft. Mit dem Sieg bauen die Münchner ihren Vorsprung in der Tabelle auf sechs Punkte aus.
"""),
    "dortmund-verliert.txt": ("2025-06-03 21:55", """\
Dortmund verliert in Freiburg

Freiburg (SID) – Borussia Dortmund hat im Rennen um die Champions-League-Plätze einen
Rückschlag erlitten. Beim SC Freiburg verlor die Mannschaft am Dienstagabend mit 0:2. Vincenzo
Grifo verwandelte kurz vor der Pause einen Foulelfmeter, in der Schlussphase traf Ritsu Doan
nach einem Konter. Die Dortmunder Abwehr wirkte über weite Strecken unsortiert, der Trainer
sprach von einem gebrauchten Abend.
"""),
    "frauenfussball.txt": ("2025-06-03 15:05", """\
Frauen-Nationalmannschaft gewinnt Testspiel in Wien

WIEN (APA) — Die deutsche Fussball-Nationalmannschaft der Frauen hat ihr Testspiel gegen
Österreich mit 4:0 gewonnen. Lea Schüller traf doppelt, dazu kamen Treffer von Giulia Gwinn
und Klara Bühl. Bundestrainer Christian Wück sprach von einem wichtigen Schritt in der
Vorbereitung auf die Europameisterschaft im Sommer in der Schweiz.
"""),
    "tischkicker.txt": ("2025-06-03 11:20", """\
Tischkicker-Hersteller meldet Rekordumsatz

Hamburg (dts) - Ein Hersteller von Tischfußball-Geräten aus Norddeutschland hat im vergangenen
Geschäftsjahr so viel umgesetzt wie nie zuvor. Der Jahresumsatz sei um ein Viertel auf
48 Millionen Euro gestiegen, teilte das Unternehmen mit. Vor allem Büros und Gaststätten hätten
neue Geräte bestellt. Für das laufende Jahr rechnet die Firma mit einem weiteren Wachstum.
"""),
    "bundestag-haushalt.txt": ("2025-06-03 10:15", """\
Bundestag beginnt Beratungen über den Haushalt

Berlin (dpa) - Der Bundestag hat mit den Beratungen über den Bundeshaushalt für das kommende
Jahr begonnen. Finanzminister Lars Klingbeil verteidigte im Parlament die geplanten Ausgaben
für Verteidigung und Infrastruktur. Die Opposition warf der Koalition vor, die Schuldenbremse
zu umgehen. Die Abgeordneten wollen den Etat Ende November verabschieden.
"""),
    "kiew-gespraeche.txt": ("2025-06-03 13:30", """\
Neue Gespräche über Gefangenenaustausch

Kiew/Moskau (Reuters) – Vertreter der Ukraine und Russlands haben nach Angaben beider Seiten
erneut über einen Austausch von Kriegsgefangenen gesprochen. Das Treffen habe in Istanbul
stattgefunden, teilte das Außenministerium in Kiew mit. Der Kreml bestätigte die Gespräche,
nannte aber keine Einzelheiten. Präsident Selenskyj sprach von einem ersten Schritt.
"""),
    "washington-wahl.txt": ("2025-06-03 17:45", """\
US-Repräsentantenhaus stimmt über Haushaltsgesetz ab

WASHINGTON (AP) — Das US-Repräsentantenhaus hat ein umstrittenes Haushaltsgesetz mit knapper
Mehrheit verabschiedet. Präsident Donald Trump sprach von einem großen Sieg, die Demokraten
kritisierten Kürzungen bei der Krankenversicherung für Geringverdiener. Das Gesetz muss nun
noch vom Senat gebilligt werden, wo die Republikaner ebenfalls die Mehrheit haben.
"""),
    "inflation.txt": ("2025-06-03 08:05", """\
Inflation sinkt auf zwei Prozent

Wiesbaden (dpa) - Die Inflation in Deutschland ist im Mai auf 2,0 Prozent gesunken. Das teilte
das Statistische Bundesamt am Dienstag nach einer ersten Schätzung mit. Im April hatten die
Verbraucherpreise noch um 2,2 Prozent über dem Vorjahresniveau gelegen. Vor allem Energie
wurde billiger, Lebensmittel verteuerten sich dagegen leicht.
"""),
    "dax-rekord.txt": ("2025-06-03 17:50", """\
Dax schließt auf Rekordhoch

Frankfurt/Main (dpa-AFX) - Der Dax hat am Dienstag erstmals über 24.000 Punkten geschlossen.
Der deutsche Leitindex legte bis zum Handelsschluss um 0,8 Prozent zu. Händler verwiesen auf
Hoffnungen auf eine Zinssenkung der Europäischen Zentralbank in der kommenden Woche. Gefragt
waren vor allem Aktien von Banken und Versicherern.
"""),
    "kirchentag.txt": ("2025-06-03 12:00", """\
Kirchentag erwartet 100.000 Besucher

Hannover (KNA) – Zum Evangelischen Kirchentag in Hannover werden ab Mittwoch rund 100.000
Besucherinnen und Besucher erwartet. Auf dem Programm stehen mehr als 1.500 Veranstaltungen,
darunter Gottesdienste, Konzerte und Podiumsdiskussionen. Die Veranstalter rechnen wegen der
Hitze mit einer hohen Nachfrage nach Wasserstellen und schattigen Plätzen.
"""),
    "mitten-im-satz.txt": ("2025-06-03 09:10", """\
Wetterdienst warnt vor Gewittern

Der Deutsche Wetterdienst hat für den Süden Deutschlands vor schweren Gewittern gewarnt, wie
ein Sprecher der Deutschen Presse-Agentur (dpa) - auf Nachfrage - am Dienstag sagte. Örtlich
seien Hagel und Sturmböen möglich. Besonders betroffen seien Teile Bayerns und
Baden-Württembergs, in den Abendstunden könne es auch in Sachsen unwetterartig werden.
"""),
    "bahn-streik-1.txt": ("2025-06-03 06:10", BAHN_1),
    "bahn-streik-2.txt": ("2025-06-03 08:30", BAHN_2),
    "bahn-streik-3.txt": ("2025-06-03 12:45", BAHN_3),
    "hitze-reuters.txt": ("2025-06-03 10:40", HITZE_REUTERS),
    "hitze-afp.txt": ("2025-06-03 11:35", HITZE_AFP),
}

EXPECTED_TOPICS = {
    "bayern-gewinnt.txt": "Sport", "dortmund-verliert.txt": "Sport",
    "frauenfussball.txt": "Sport", "tischkicker.txt": "Wirtschaft",
    "bundestag-haushalt.txt": "Politik", "kiew-gespraeche.txt": "Politik",
    "washington-wahl.txt": "Politik", "inflation.txt": "Wirtschaft",
    "dax-rekord.txt": "Wirtschaft", "kirchentag.txt": "Vermischtes",
    "mitten-im-satz.txt": "Vermischtes", "bahn-streik-1.txt": "Wirtschaft",
    "hitze-reuters.txt": "Vermischtes",
}
EXPECTED_DATELINES = {
    "bayern-gewinnt.txt": ("München", "dpa"), "dortmund-verliert.txt": ("Freiburg", "SID"),
    "frauenfussball.txt": ("WIEN", "APA"), "tischkicker.txt": ("Hamburg", "dts"),
    "kiew-gespraeche.txt": ("Kiew/Moskau", "Reuters"),
    "washington-wahl.txt": ("WASHINGTON", "AP"), "dax-rekord.txt": ("Frankfurt/Main", "dpa-AFX"),
    "kirchentag.txt": ("Hannover", "KNA"), "mitten-im-satz.txt": (None, None),
}


def arrival(when: str) -> float:
    return dt.datetime.strptime(when, "%Y-%m-%d %H:%M").replace(
        tzinfo=dt.timezone(dt.timedelta(hours=2))).timestamp()


def write_agency_site(root: Path, names: dict[str, str] | None = None) -> Path:
    """The fixture site; `names` renames files (old name to new), to show names do not count."""
    names = names or {}
    write_site(root, {"config.yaml": CONFIG})
    for name, (when, text) in ITEMS.items():
        path = root / "content" / "eingang" / names.get(name, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        os.utime(path, (arrival(when), arrival(when)))
    return root


WIRE_STORIES = ("bahn-streik-1.txt", "bahn-streik-2.txt", "bahn-streik-3.txt",
                "hitze-reuters.txt", "hitze-afp.txt")


def add_wire_stories(content: Path) -> None:
    """The folding stories, put directly into a site's content folder."""
    for name in WIRE_STORIES:
        when, text = ITEMS[name]
        path = content / name
        path.write_text(text, encoding="utf-8")
        os.utime(path, (arrival(when), arrival(when)))
