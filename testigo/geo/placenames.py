"""How place names are compared: folded to plain lower-case ASCII words, abbreviations spelled out.

SMS are typed without accents, in lower case, with abbreviations ("col kennedy", "bo guamilito",
"sps", "tegus"), so every name in the gazetteer and every message pass through the same `words()`:
"Colonia Kennedy", "col. kennedy" and "COL KENEDY" (after spelling correction) meet on the same key.

The word lists below are the knowledge extraction needs about Spanish; they are data, kept here
so docs/geo.md can point at one place.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^a-z0-9ñ]+")

# Abbreviations people type for the kind of a place (and a few frequent misspellings of them).
KIND_WORDS = {
    "colonia": "colonia", "col": "colonia", "cln": "colonia", "colo": "colonia", "kolonia": "colonia",
    "barrio": "barrio", "bo": "barrio", "bro": "barrio", "bario": "barrio", "b": "barrio", "bº": "barrio",
    "residencial": "residencial", "res": "residencial", "resid": "residencial", "recidencial": "residencial",
    "aldea": "aldea", "ald": "aldea", "caserio": "caserio", "cas": "caserio",
    "urbanizacion": "urbanizacion", "urb": "urbanizacion", "lotificacion": "lotificacion", "lot": "lotificacion",
    "sector": "sector", "comunidad": "comunidad", "asentamiento": "asentamiento",
    "municipio": "municipio", "mun": "municipio", "muni": "municipio", "ciudad": "ciudad", "cd": "ciudad",
    "departamento": "departamento", "depto": "departamento", "dpto": "departamento", "dep": "departamento",
}
# Kinds that name a neighbourhood or village; the other kind words above name a town or an area.
LOCAL_KINDS = {"colonia", "barrio", "residencial", "aldea", "caserio", "urbanizacion", "lotificacion",
               "sector", "comunidad", "asentamiento"}

# Other abbreviations inside names ("sn pedro", "sta rosa").
ABBREVIATIONS = {"sn": "san", "sta": "santa", "sto": "santo", "stgo": "santiago", "pto": "puerto",
                 "gral": "general", "nva": "nueva", "nvo": "nuevo", "q": "que", "xq": "porque"}

_SPELLED_OUT = {**ABBREVIATIONS, **{k: v for k, v in KIND_WORDS.items() if len(k) > 1}}

ARTICLES = {"el", "la", "los", "las", "de", "del", "y", "a"}
# Words after which a place name usually follows ("en la kennedy", "cerca de la granja").
PLACE_PREPOSITIONS = {"en", "de", "del", "al", "por", "desde", "hacia", "hasta", "cerca", "frente", "rumbo", "para",
                      "entre", "sobre"}

# Ordinary Spanish words (folded) that are also the names of towns, departments or areas: alone,
# without a kind word ("aldea el puente") or capital letters, they are read as the words they are.
# "cortes de luz" is not Cortés, "gracias" is not Gracias (Lempira), "dolores" not Dolores.
COMMON_WORDS = set("""
abajo agua aguas alta alto arena arenal armenta azul baja bajo balsamo barra blanca blanco bonito
brea buenos aires caminos campamento cane casa cedros centro cerro chiquito ciruelo colon concordia
concepcion corpus correderos cortes criba cruz cubolero dolores dulce encarnacion entrada ermita
escano esperanza estancia flecha flores florida fria francia gracias guante guantillo juncal labor
laguna lajas larga libertad linda lindo llanitos llano loma lomitas manto mar maranon mateo milagro
mina mojiman monte morazan naranjito naranjos nombre nueva nuevo negrito obraje ocote ojo ojos olivar
oriental paz pedernal pena perico piedra pinalejo pino plan planes playona porvenir potrero potrerillos
prieta proteccion pueblo puente puerto punta quebrada quebradas quemada rancho rincon rio rosa rosario
sabana salama sauce seca socorro sur tablon tangos tejeras terrero tigre toyos transito travesia
trinidad triunfo trojas trojes tular union valle vegas verde victoria vieja virtud zapotal norte central
sula jesus corazon lempira lempiras berlin arizona armenia guayabito guapinol nispero achiotal chimbo
esquina esquinas caliente calientes frio dios santos tela reforma democracia pastores casillas quetzal quetzales adelanto palmar rodeo tejar
oratorio hondo bravo catarina granados morales cruce calle avenida
planeta ingles satelite isla torres brisas cabanas merced mercedes reparto calvario hoya granja pinos
colinas palmas campo carrizal pedregal olimpica andes mercado parque iglesia escuela hospital bordo carretera salida colonia barrio
""".split())


def fold(text: str) -> str:
    """Lower-case ASCII of `text` (ñ kept: "Peña" and "pena" are different words to Spanish readers,
    but SMS writers type "pena", so ñ folds to n as well)."""
    if text.isascii():  # most names and messages: no accents to take off
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of `text`, with abbreviations of kinds and names spelled out
    ("Col. Sta Rosa" -> ["colonia", "santa", "rosa"]); "sps"/"tegus" are country aliases, not here."""
    return [_SPELLED_OUT.get(word, word) for word in _NOT_WORD.split(fold(text).replace("ñ", "n")) if word]


def key(text: str) -> str:
    """The lookup key of a name: its words joined by spaces."""
    return " ".join(words(text))


def strip_kind(name_words: list[str]) -> tuple[str, list[str]]:
    """("colonia", ["kennedy"]) for ["colonia", "kennedy"]; ("", words) when no kind word leads."""
    if len(name_words) > 1 and name_words[0] in LOCAL_KINDS | {"municipio", "ciudad", "departamento"}:
        rest = name_words[1:]
        if len(rest) > 1 and rest[0] in ("de", "del"):
            rest = rest[1:]
        return name_words[0], rest
    return "", name_words


def is_common(name_words: list[str]) -> bool:
    """True when every word of a name (articles aside) is an ordinary Spanish word."""
    content = [w for w in name_words if w not in ARTICLES]
    return not content or all(w in COMMON_WORDS or w.isdigit() for w in content)
