"""Demo data for a Testigo deployment about citizen security in Honduras.

Pure data plus one generator, standard library only (no Django imports):

* ``CATEGORIES`` - two-level category tree (parents + children) with Spanish
  and English names, colours and icon keys.
* ``PLACES`` - real Honduran cities with department, municipality, centre
  coordinates, a relative population weight and known barrios/colonias.
* ``RURAL_PLACES`` - small towns and aldeas for sparse countryside reports.
* ``generate(rng, n, now)`` - yields ``n`` plausible, deterministic (for a
  given ``rng`` seed) citizen reports as plain dicts.

All people, phone numbers and e-mail addresses are invented.
"""
import datetime
import math
import random
import unicodedata
from collections.abc import Iterator

# --------------------------------------------------------------------------
# Categories
# --------------------------------------------------------------------------

CATEGORIES = [
    # parents
    {"slug": "delitos", "name_es": "Delitos", "name_en": "Crime", "colour": "#c0392b", "icon": "shield", "parent": None},
    {"slug": "violencia", "name_es": "Violencia", "name_en": "Violence", "colour": "#8e44ad", "icon": "alert", "parent": None},
    {"slug": "corrupcion", "name_es": "Corrupción", "name_en": "Corruption", "colour": "#d35400", "icon": "money", "parent": None},
    {"slug": "desastres", "name_es": "Desastres", "name_en": "Disasters", "colour": "#2980b9", "icon": "water", "parent": None},
    {"slug": "servicios-publicos", "name_es": "Servicios públicos", "name_en": "Public services", "colour": "#16a085", "icon": "home", "parent": None},
    {"slug": "derechos-humanos", "name_es": "Derechos humanos", "name_en": "Human rights", "colour": "#2c3e50", "icon": "hand", "parent": None},
    # children
    {"slug": "robo", "name_es": "Robo y asalto", "name_en": "Robbery and mugging", "colour": "#e74c3c", "icon": "person", "parent": "delitos"},
    {"slug": "robo-vehiculo", "name_es": "Robo de vehículo", "name_en": "Vehicle theft", "colour": "#ec7063", "icon": "car", "parent": "delitos"},
    {"slug": "extorsion", "name_es": "Extorsión", "name_en": "Extortion", "colour": "#a93226", "icon": "money", "parent": "delitos"},
    {"slug": "reclutamiento-pandillas", "name_es": "Reclutamiento de pandillas", "name_en": "Gang recruitment", "colour": "#922b21", "icon": "person", "parent": "delitos"},
    {"slug": "balacera", "name_es": "Balacera", "name_en": "Shooting", "colour": "#6c3483", "icon": "alert", "parent": "violencia"},
    {"slug": "violencia-domestica", "name_es": "Violencia doméstica", "name_en": "Domestic violence", "colour": "#a569bd", "icon": "home", "parent": "violencia"},
    {"slug": "amenazas", "name_es": "Amenazas", "name_en": "Threats", "colour": "#7d3c98", "icon": "megaphone", "parent": "violencia"},
    {"slug": "soborno", "name_es": "Soborno", "name_en": "Bribery", "colour": "#e67e22", "icon": "money", "parent": "corrupcion"},
    {"slug": "malversacion", "name_es": "Malversación de fondos", "name_en": "Embezzlement", "colour": "#ba4a00", "icon": "money", "parent": "corrupcion"},
    {"slug": "inundacion", "name_es": "Inundación", "name_en": "Flood", "colour": "#3498db", "icon": "water", "parent": "desastres"},
    {"slug": "deslizamiento", "name_es": "Deslizamiento de tierra", "name_en": "Landslide", "colour": "#1f618d", "icon": "alert", "parent": "desastres"},
    {"slug": "incendio", "name_es": "Incendio", "name_en": "Fire", "colour": "#f39c12", "icon": "fire", "parent": "desastres"},
    {"slug": "falta-agua", "name_es": "Falta de agua", "name_en": "Water shortage", "colour": "#48c9b0", "icon": "water", "parent": "servicios-publicos"},
    {"slug": "apagon", "name_es": "Apagón y alumbrado", "name_en": "Power cut and street lighting", "colour": "#117a65", "icon": "alert", "parent": "servicios-publicos"},
    {"slug": "desaparicion", "name_es": "Desaparición", "name_en": "Disappearance", "colour": "#34495e", "icon": "person", "parent": "derechos-humanos"},
    {"slug": "abuso-policial", "name_es": "Abuso policial", "name_en": "Police abuse", "colour": "#566573", "icon": "shield", "parent": "derechos-humanos"},
    {"slug": "desplazamiento-forzado", "name_es": "Desplazamiento forzado", "name_en": "Forced displacement", "colour": "#5d6d7e", "icon": "home", "parent": "derechos-humanos"},
]

# --------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------

PLACES = [
    {"city": "Tegucigalpa", "department": "Francisco Morazán", "municipality": "Distrito Central",
     "lat": 14.0818, "lon": -87.2068, "weight": 18, "neighbourhoods": [
         ("Barrio Abajo", 14.1055, -87.2095), ("Barrio La Hoya", 14.1030, -87.2020),
         ("Colonia Kennedy", 14.0625, -87.1790), ("Colonia Hato de Enmedio", 14.0660, -87.1610),
         ("Colonia Villa Nueva", 14.0540, -87.1380), ("Colonia Los Pinos", 14.0870, -87.1420),
         ("Colonia Flor del Campo", 14.0530, -87.1760), ("Colonia San Miguel", 14.0960, -87.1700),
         ("Colonia Nueva Suyapa", 14.0850, -87.1530), ("Colonia 21 de Octubre", 14.0880, -87.1620),
         ("Colonia Palmira", 14.0955, -87.1935), ("Colonia Miraflores", 14.0780, -87.1780),
         ("Colonia El Pedregal", 14.0530, -87.1970), ("Colonia Cerro Grande", 14.1250, -87.1900),
         ("Colonia Villa Olímpica", 14.0820, -87.1750)]},
    {"city": "Comayagüela", "department": "Francisco Morazán", "municipality": "Distrito Central",
     "lat": 14.0960, "lon": -87.2110, "weight": 12, "neighbourhoods": [
         ("Barrio Belén", 14.0930, -87.2140), ("Barrio El Reparto", 14.0950, -87.2220),
         ("Colonia Torocagua", 14.0800, -87.2450), ("Colonia Villafranca", 14.0620, -87.2350),
         ("Colonia Las Torres", 14.0870, -87.2280), ("Colonia El Carrizal", 14.1170, -87.2350),
         ("Colonia 3 de Mayo", 14.0900, -87.2380), ("Colonia Loarque", 14.0450, -87.2200),
         ("Colonia La Rosa", 14.0700, -87.2200), ("Barrio Concepción", 14.0990, -87.2130)]},
    {"city": "San Pedro Sula", "department": "Cortés", "municipality": "San Pedro Sula",
     "lat": 15.5050, "lon": -88.0250, "weight": 28, "neighbourhoods": [
         ("Colonia Rivera Hernández", 15.5300, -87.9850), ("Barrio Guamilito", 15.5100, -88.0270),
         ("Colonia Chamelecón", 15.4400, -88.0050), ("Colonia Satélite", 15.5250, -88.0100),
         ("Barrio Medina", 15.5000, -88.0150), ("Colonia Cabañas", 15.5150, -87.9900),
         ("Colonia Trejo", 15.5200, -88.0400), ("Barrio Los Andes", 15.5150, -88.0300),
         ("Colonia Montefresco", 15.5400, -87.9750), ("Colonia Sunseri", 15.5300, -87.9950),
         ("Barrio Paz Barahona", 15.5000, -88.0300), ("Colonia Jardines del Valle", 15.5400, -88.0250),
         ("Colonia Fesitranh", 15.4850, -87.9900), ("Barrio El Benque", 15.5020, -88.0350)]},
    {"city": "Choloma", "department": "Cortés", "municipality": "Choloma",
     "lat": 15.6144, "lon": -87.9530, "weight": 9, "neighbourhoods": [
         ("Colonia López Arellano", 15.5900, -87.9600), ("Colonia Éxitos de Anach", 15.6250, -87.9750),
         ("Colonia Céleo González", 15.6000, -87.9350), ("Barrio El Centro", 15.6140, -87.9530),
         ("Colonia Las Brisas", 15.6200, -87.9400), ("Colonia Japón", 15.6050, -87.9450)]},
    {"city": "La Ceiba", "department": "Atlántida", "municipality": "La Ceiba",
     "lat": 15.7700, "lon": -86.7920, "weight": 8, "neighbourhoods": [
         ("Barrio La Isla", 15.7810, -86.7850), ("Barrio Inglés", 15.7820, -86.7900),
         ("Barrio Mejía", 15.7750, -86.7950), ("Colonia El Sauce", 15.7600, -86.7700),
         ("Barrio Potreritos", 15.7700, -86.8000), ("Colonia Alvarado", 15.7700, -86.8100),
         ("Colonia Bonitillo", 15.7700, -86.7600), ("Colonia 1 de Mayo", 15.7580, -86.7850)]},
    {"city": "El Progreso", "department": "Yoro", "municipality": "El Progreso",
     "lat": 15.4000, "lon": -87.8000, "weight": 7, "neighbourhoods": [
         ("Barrio El Centro", 15.4000, -87.8000), ("Barrio Las Flores", 15.4050, -87.8050),
         ("Colonia Suazo Córdova", 15.3900, -87.7900), ("Colonia San Jorge", 15.4100, -87.7950),
         ("Barrio El Carmen", 15.3950, -87.8080), ("Colonia Mangandí", 15.3850, -87.8100)]},
    {"city": "Choluteca", "department": "Choluteca", "municipality": "Choluteca",
     "lat": 13.3007, "lon": -87.1908, "weight": 6, "neighbourhoods": [
         ("Barrio El Centro", 13.3007, -87.1908), ("Barrio La Esperanza", 13.3050, -87.1850),
         ("Colonia Las Colinas", 13.2950, -87.1800), ("Barrio San Juan Bosco", 13.3080, -87.1950),
         ("Colonia Limón de la Cerca", 13.2900, -87.2000)]},
    {"city": "Comayagua", "department": "Comayagua", "municipality": "Comayagua",
     "lat": 14.4600, "lon": -87.6400, "weight": 5, "neighbourhoods": [
         ("Barrio La Merced", 14.4590, -87.6390), ("Barrio San Francisco", 14.4620, -87.6420),
         ("Barrio Torondón", 14.4550, -87.6450), ("Barrio San Sebastián", 14.4560, -87.6370),
         ("Colonia San Miguel", 14.4700, -87.6300)]},
    {"city": "Puerto Cortés", "department": "Cortés", "municipality": "Puerto Cortés",
     "lat": 15.8480, "lon": -87.9400, "weight": 4, "neighbourhoods": [
         ("Barrio El Centro", 15.8480, -87.9400), ("Barrio Buenos Aires", 15.8420, -87.9350),
         ("Colonia Brisas del Mar", 15.8350, -87.9300), ("Barrio Campo Rojo", 15.8400, -87.9450)]},
    {"city": "Danlí", "department": "El Paraíso", "municipality": "Danlí",
     "lat": 14.0333, "lon": -86.5833, "weight": 4, "neighbourhoods": [
         ("Barrio El Centro", 14.0333, -86.5833), ("Barrio El Zarzal", 14.0380, -86.5780),
         ("Colonia Nueva Esperanza", 14.0250, -86.5900)]},
    {"city": "Juticalpa", "department": "Olancho", "municipality": "Juticalpa",
     "lat": 14.6667, "lon": -86.2194, "weight": 3, "neighbourhoods": [
         ("Barrio El Centro", 14.6667, -86.2194), ("Barrio Belén", 14.6700, -86.2150),
         ("Colonia Buenos Aires", 14.6600, -86.2250)]},
    {"city": "Catacamas", "department": "Olancho", "municipality": "Catacamas",
     "lat": 14.9000, "lon": -85.9333, "weight": 2.5, "neighbourhoods": [
         ("Barrio El Centro", 14.9000, -85.9333), ("Barrio San Sebastián", 14.8950, -85.9300)]},
    {"city": "Siguatepeque", "department": "Comayagua", "municipality": "Siguatepeque",
     "lat": 14.6000, "lon": -87.8333, "weight": 3, "neighbourhoods": [
         ("Barrio El Centro", 14.6000, -87.8333), ("Barrio San Juan", 14.6050, -87.8300),
         ("Colonia Buenos Aires", 14.5950, -87.8400)]},
    {"city": "Santa Rosa de Copán", "department": "Copán", "municipality": "Santa Rosa de Copán",
     "lat": 14.7667, "lon": -88.7833, "weight": 2.5, "neighbourhoods": [
         ("Barrio El Centro", 14.7667, -88.7833), ("Barrio Santa Teresa", 14.7700, -88.7800),
         ("Barrio El Calvario", 14.7630, -88.7870)]},
    {"city": "Tocoa", "department": "Colón", "municipality": "Tocoa",
     "lat": 15.6833, "lon": -86.0000, "weight": 2.5, "neighbourhoods": [
         ("Barrio El Centro", 15.6833, -86.0000), ("Colonia Los Pinos", 15.6880, -85.9950),
         ("Barrio La Ceibita", 15.6780, -86.0050)]},
    {"city": "Roatán", "department": "Islas de la Bahía", "municipality": "Roatán",
     "lat": 16.3167, "lon": -86.5400, "weight": 2, "neighbourhoods": [
         ("Coxen Hole", 16.3167, -86.5400), ("West End", 16.3030, -86.5930),
         ("Sandy Bay", 16.3300, -86.5650), ("Flowers Bay", 16.3050, -86.5550)]},
    {"city": "Villanueva", "department": "Cortés", "municipality": "Villanueva",
     "lat": 15.3167, "lon": -88.0000, "weight": 4, "neighbourhoods": [
         ("Barrio El Centro", 15.3167, -88.0000), ("Colonia Dos Caminos", 15.3300, -87.9900),
         ("Colonia Buenos Aires", 15.3100, -88.0050)]},
    {"city": "La Lima", "department": "Cortés", "municipality": "La Lima",
     "lat": 15.4333, "lon": -87.9167, "weight": 2.5, "neighbourhoods": [
         ("Barrio El Centro", 15.4333, -87.9167), ("Colonia Planeta", 15.4250, -87.9250),
         ("Colonia Tela Railroad", 15.4380, -87.9100)]},
    {"city": "Olanchito", "department": "Yoro", "municipality": "Olanchito",
     "lat": 15.4833, "lon": -86.5833, "weight": 2, "neighbourhoods": [
         ("Barrio El Centro", 15.4833, -86.5833), ("Barrio Buenos Aires", 15.4870, -86.5790)]},
    {"city": "Tela", "department": "Atlántida", "municipality": "Tela",
     "lat": 15.7833, "lon": -87.4667, "weight": 2.5, "neighbourhoods": [
         ("Barrio El Centro", 15.7770, -87.4600), ("Barrio Las Brisas", 15.7800, -87.4550),
         ("Colonia San José", 15.7720, -87.4700)]},
    {"city": "Gracias", "department": "Lempira", "municipality": "Gracias",
     "lat": 14.5833, "lon": -88.5833, "weight": 1, "neighbourhoods": [
         ("Barrio El Centro", 14.5833, -88.5833), ("Barrio Mercedes", 14.5870, -88.5800)]},
    {"city": "La Esperanza", "department": "Intibucá", "municipality": "La Esperanza",
     "lat": 14.3000, "lon": -88.1833, "weight": 1.5, "neighbourhoods": [
         ("Barrio El Centro", 14.3000, -88.1833), ("Barrio La Esperanza", 14.3040, -88.1800)]},
    {"city": "San Lorenzo", "department": "Valle", "municipality": "San Lorenzo",
     "lat": 13.4200, "lon": -87.4500, "weight": 1.5, "neighbourhoods": [
         ("Barrio El Centro", 13.4200, -87.4500), ("Barrio El Puerto", 13.4150, -87.4450)]},
    {"city": "Puerto Lempira", "department": "Gracias a Dios", "municipality": "Puerto Lempira",
     "lat": 15.2667, "lon": -83.7667, "weight": 0.8, "neighbourhoods": [
         ("Barrio El Centro", 15.2667, -83.7667)]},
]

# (name, municipality, department, lat, lon) - aldeas and small towns
RURAL_PLACES = [
    ("Aldea Cofradía", "San Pedro Sula", "Cortés", 15.4170, -88.1500),
    ("Aldea Támara", "Distrito Central", "Francisco Morazán", 14.1830, -87.3330),
    ("Aldea Zambrano", "Distrito Central", "Francisco Morazán", 14.2700, -87.4100),
    ("El Zamorano", "San Antonio de Oriente", "Francisco Morazán", 14.0100, -87.0000),
    ("Santa Lucía", "Santa Lucía", "Francisco Morazán", 14.1050, -87.1200),
    ("Valle de Ángeles", "Valle de Ángeles", "Francisco Morazán", 14.1500, -87.0300),
    ("Ojojona", "Ojojona", "Francisco Morazán", 13.9300, -87.3000),
    ("Talanga", "Talanga", "Francisco Morazán", 14.4000, -87.0800),
    ("Guaimaca", "Guaimaca", "Francisco Morazán", 14.5300, -86.8200),
    ("Yuscarán", "Yuscarán", "El Paraíso", 13.9450, -86.8500),
    ("Marcala", "Marcala", "La Paz", 14.1500, -88.0300),
    ("Erandique", "Erandique", "Lempira", 14.2300, -88.4700),
    ("Copán Ruinas", "Copán Ruinas", "Copán", 14.8380, -89.1550),
    ("Nueva Ocotepeque", "Ocotepeque", "Ocotepeque", 14.4330, -89.1830),
    ("Quimistán", "Quimistán", "Santa Bárbara", 15.3400, -88.4000),
    ("Sulaco", "Sulaco", "Yoro", 14.9200, -87.2600),
    ("Arizona", "Arizona", "Atlántida", 15.6300, -87.3200),
    ("Jutiapa", "Jutiapa", "Atlántida", 15.7400, -86.5100),
    ("Bonito Oriental", "Bonito Oriental", "Colón", 15.7400, -85.7400),
    ("Trujillo", "Trujillo", "Colón", 15.9170, -85.9500),
    ("Pespire", "Pespire", "Choluteca", 13.5900, -87.3600),
    ("San Marcos de Colón", "San Marcos de Colón", "Choluteca", 13.4300, -86.8000),
    ("Amapala", "Amapala", "Valle", 13.2920, -87.6530),
    ("Brus Laguna", "Brus Laguna", "Gracias a Dios", 15.7600, -84.5400),
    ("Utila", "Utila", "Islas de la Bahía", 16.1000, -86.9000),
]

# --------------------------------------------------------------------------
# Text templates: slug -> (es_titles, es_descriptions, en_titles, en_descriptions)
# Placeholders: {barrio} {ciudad} {hora} {dia} ({Dia} = capitalised {dia})
# --------------------------------------------------------------------------

TEMPLATES = {
    "robo": (
        ["Asalto a mano armada en {barrio}", "Robo de celular en la parada de buses de {barrio}",
         "Asaltaron un bus rapidito en {barrio}", "Robo en vivienda, {barrio}", "Asalto a peatones cerca del mercado de {ciudad}"],
        ["Dos tipos en moto asaltaron a una señora a {hora}, le quitaron la cartera y el celular. Pasa seguido en esta cuadra.",
         "{dia} a {hora} se subieron dos muchachos al bus en {barrio} y despojaron a todos los pasajeros. Nadie salió herido.",
         "Se metieron a una casa mientras la familia estaba trabajando, se llevaron la tele y una refri. Los vecinos no vieron nada.",
         "Asaltan a los estudiantes que salen del colegio, siempre a la misma hora. Pedimos más patrullaje en {barrio}.",
         "Me robaron el teléfono saliendo del trabajo a {hora}. Andaban armados, mejor no caminar solo por esa calle."],
        ["Armed robbery in {barrio}", "Phone snatched at bus stop"],
        ["Two men on a motorbike robbed a woman at {hora} near {barrio}, {ciudad}. They took her bag and phone.",
         "Tourists were mugged walking back at night. Locals say this street is not safe after dark."]),
    "robo-vehiculo": (
        ["Robo de moto en {barrio}", "Se robaron un carro en {barrio}", "Roban pick-up a punta de pistola en {ciudad}"],
        ["Le quitaron la moto a un repartidor a {hora} en {barrio}. Eran tres y andaban armados.",
         "Dejamos el carro frente a la casa y en la mañana ya no estaba. Ya es el tercero este mes en la colonia.",
         "Interceptaron un pick-up en el semáforo y bajaron al conductor a la fuerza. Se fueron hacia la salida de {ciudad}."],
        ["Motorbike stolen in {barrio}"],
        ["A delivery rider had his motorbike taken at gunpoint around {hora}. Police were called but arrived an hour later."]),
    "extorsion": (
        ["Cobro de \"impuesto de guerra\" a negocios de {barrio}", "Extorsión a transportistas en {ciudad}",
         "Piden renta a pulperías de {barrio}", "Llamadas de extorsión desde número desconocido"],
        ["A las pulperías de {barrio} les están cobrando renta cada semana. El que no paga lo amenazan con quemarle el negocio.",
         "Los taxistas del punto de {barrio} tienen que pagar cuota diaria. {Dia} dejaron una nota en un taxi.",
         "Me llamaron diciendo que eran de la mara y que si no deposito me pasa algo a mi familia. Tengo miedo de denunciar con la policía.",
         "Varios negocios cerraron en la colonia por la extorsión. La gente ya no quiere abrir después de {hora}."],
        ["Extortion of small shops in {barrio}"],
        ["Shop owners in {barrio} are being forced to pay a weekly 'war tax'. Several have closed their businesses."]),
    "reclutamiento-pandillas": (
        ["Reclutan a menores afuera de la escuela en {barrio}", "Pandilla busca jóvenes en {barrio}",
         "Obligan a muchachos a ser banderas en {ciudad}"],
        ["Hay muchachos tatuados esperando a los cipotes afuera de la escuela. Les ofrecen dinero y teléfonos para que hagan mandados.",
         "A mi sobrino de 14 años le dijeron que tiene que unirse o que se vaya de la colonia. La familia está pensando en mudarse.",
         "Están usando a niños como vigías (banderas) en las esquinas de {barrio}. Se ven desde {hora} hasta tarde."],
        ["Gang recruiting teenagers near school"],
        ["Gang members wait outside the school in {barrio} and pressure boys to work as lookouts."]),
    "balacera": (
        ["Balacera en {barrio}", "Se escucharon disparos en {barrio} anoche", "Enfrentamiento armado en {ciudad}",
         "Tiroteo cerca de la cancha de {barrio}"],
        ["A eso de {hora} se oyeron muchos disparos cerca de la cancha. La gente se metió a las casas, hay un herido.",
         "Balacera entre dos grupos en {barrio}, duró como 10 minutos. Llegó la policía pero ya se habían ido.",
         "{dia} hubo disparos otra vez. Los niños no pudieron ir a la escuela por miedo.",
         "Dispararon contra un carro en la calle principal de {barrio}. Hay casquillos por todos lados."],
        ["Shooting reported in {barrio}", "Gunfire near the football pitch"],
        ["Residents heard many gunshots around {hora}. One person was taken to hospital.",
         "Exchange of gunfire between two groups in {barrio}, {ciudad}. Police arrived after it was over."]),
    "violencia-domestica": (
        ["Violencia doméstica en {barrio}", "Mujer agredida por su pareja en {barrio}", "Gritos y golpes en casa vecina"],
        ["Todas las noches se oyen gritos y golpes en la casa de al lado. La señora tiene moretes y no quiere denunciar por miedo.",
         "Un hombre le pegó a su esposa en plena calle a {hora}. Nadie se metió porque él anda armado.",
         "Una vecina con dos niños pequeños necesita ayuda, el marido la amenaza con matarla si se va. Pido que alguien la oriente."],
        ["Domestic violence next door"],
        ["We hear shouting and hitting every night next door. The woman is afraid to report it."]),
    "amenazas": (
        ["Amenazas a vecinos de {barrio}", "Dejan mensajes amenazantes en casas de {barrio}", "Amenazan a líder comunitario en {ciudad}"],
        ["Dejaron papeles debajo de las puertas dando 24 horas para abandonar las casas. La gente está asustada.",
         "A un miembro del patronato lo están amenazando por denunciar la falta de agua. Le escribieron por WhatsApp.",
         "Pintaron la pared de la iglesia con amenazas. {Dia} pasaron en carro gritando que nadie hable con la policía."],
        ["Threats against residents"],
        ["Notes were left under doors in {barrio} giving families 24 hours to leave."]),
    "soborno": (
        ["Policías piden mordida en retén de {ciudad}", "Cobro indebido en oficina municipal de {ciudad}",
         "Piden dinero para agilizar trámite"],
        ["En el retén a la salida de {ciudad} piden 500 lempiras para no decomisar el carro aunque tengas los papeles en regla.",
         "En la alcaldía me dijeron que si no pagaba algo extra el permiso iba a tardar meses. No dan recibo.",
         "En el hospital cobran por darle cama a los pacientes. Mi mamá esperó desde {hora} hasta que pagamos."],
        ["Bribe requested at checkpoint"],
        ["Officers at the checkpoint outside {ciudad} asked for money to let us continue, even with valid papers."]),
    "malversacion": (
        ["Proyecto de pavimentación abandonado en {barrio}", "Dinero del bono no llegó a las familias de {barrio}",
         "Obra pagada pero sin terminar en {ciudad}"],
        ["La alcaldía anunció la pavimentación de la calle principal de {barrio} hace un año, pusieron el rótulo y nunca vinieron a trabajar.",
         "Del bono para las familias afectadas solo llegaron la mitad de las bolsas. Nadie explica dónde quedó el resto.",
         "El centro de salud fue inaugurado dos veces pero sigue sin médico ni medicinas. Queremos saber en qué se gastó el dinero."],
        ["Paid public works never finished"],
        ["The road paving project in {barrio} was announced and paid for, but workers never came."]),
    "inundacion": (
        ["Inundación en {barrio}", "Se desbordó la quebrada en {barrio}", "Calles bajo agua en {ciudad}"],
        ["Con la lluvia de anoche el agua entró a las casas, hay familias que perdieron todo. Necesitan colchonetas y comida.",
         "La quebrada se desbordó a {hora}. El agua llega a la rodilla y hay adultos mayores atrapados.",
         "Las calles de {barrio} están inundadas desde {dia}, los carros no pueden pasar. La bomba del bordo no funciona."],
        ["Flooding in {barrio}", "River overflowed"],
        ["Water entered homes after last night's rain. Families need mattresses, food and clean water.",
         "The creek overflowed around {hora}. Several elderly people are trapped in their houses."]),
    "deslizamiento": (
        ["Deslizamiento de tierra en {barrio}", "Derrumbe tapa la calle en {barrio}", "Grietas en casas por falla geológica"],
        ["Se vino el cerro encima de dos casas en {barrio}. Los vecinos están sacando gente con las manos.",
         "Un derrumbe tapó la calle de acceso, no pueden entrar ni buses ni ambulancias desde {hora}.",
         "Aparecieron grietas en las paredes y el piso se está hundiendo. Pedimos que Copeco venga a evaluar."],
        ["Landslide blocks road"],
        ["A landslide blocked the only access road to {barrio}. Ambulances cannot get through."]),
    "incendio": (
        ["Incendio en vivienda de {barrio}", "Incendio en el mercado de {ciudad}", "Quema de casas en {barrio}"],
        ["Se está quemando una casa, ya llamamos a los bomberos pero no llegan. Hay humo por toda la cuadra.",
         "Se incendiaron varios puestos del mercado a {hora}. Los comerciantes perdieron su mercadería.",
         "Quemaron dos casas de familias que se negaron a pagar la renta. Dicen que fue intencional."],
        ["House fire in {barrio}"],
        ["A house caught fire around {hora}. Neighbours are trying to put it out while they wait for firefighters."]),
    "falta-agua": (
        ["Sin agua desde hace dos semanas en {barrio}", "No llega el agua a {barrio}", "Carro cisterna cobra de más"],
        ["En {barrio} no cae agua desde hace 15 días. Las familias compran barriles a precio alto.",
         "El agua llega solo un día a la semana y a veces a {hora}, cuando nadie la puede recoger.",
         "Los dueños de las cisternas están cobrando el doble porque saben que no hay agua en la colonia."],
        ["No running water for two weeks"],
        ["{barrio} has had no running water for two weeks. Families are buying water at high prices."]),
    "apagon": (
        ["Apagón en {barrio}", "Calles sin alumbrado en {barrio}", "Postes sin luz facilitan asaltos"],
        ["Llevamos tres días sin energía en {barrio}. Se nos arruinó la comida y la ENEE no responde.",
         "Las lámparas de la calle principal están quemadas desde hace meses. En lo oscuro asaltan a la gente que sale de trabajar.",
         "Se fue la luz {dia} a {hora} y no ha regresado. Hay personas con equipo médico en casa."],
        ["Street lights out"],
        ["The street lights in {barrio} have been out for months. Muggings happen in the dark stretch."]),
    "desaparicion": (
        ["Joven desaparecido en {barrio}", "Se busca a muchacha desaparecida en {ciudad}", "Desaparece conductor de taxi"],
        ["Un muchacho de 17 años salió de su casa {dia} a {hora} y no ha regresado. La familia ya puso denuncia.",
         "Una joven de {barrio} no ha vuelto desde que salió para la maquila. Su teléfono está apagado.",
         "Un taxista salió a trabajar y no regresó. Encontraron el taxi abandonado cerca de {barrio}."],
        ["Young man missing"],
        ["A 17-year-old left home {dia} and has not come back. His family has filed a report."]),
    "abuso-policial": (
        ["Abuso policial en operativo en {barrio}", "Detienen sin orden a jóvenes en {barrio}", "Policías golpean a vendedor"],
        ["En un operativo a {hora} los agentes entraron a las casas sin orden y golpearon a dos muchachos.",
         "Se llevaron detenidos a varios jóvenes solo por tener tatuajes. No les dijeron a las familias a dónde los llevaban.",
         "Unos policías golpearon a un vendedor ambulante en el centro de {ciudad} porque no quiso darles mercadería."],
        ["Police raid without warrant"],
        ["Officers entered homes in {barrio} without a warrant around {hora} and beat two young men."]),
    "desplazamiento-forzado": (
        ["Familias abandonan sus casas en {barrio}", "Desplazamiento por amenazas de pandilla en {ciudad}",
         "Casas vacías tomadas por la mara"],
        ["Esta semana se fueron cinco familias de {barrio} por las amenazas. Dejaron todo, hasta los animales.",
         "Nos tocó salir de noche con lo que pudimos cargar. La pandilla ahora usa nuestra casa.",
         "Hay varias casas abandonadas en la colonia y la mara las usa como casa de seguridad."],
        ["Families forced to leave their homes"],
        ["Five families fled {barrio} this week after threats. They left everything behind."]),
}

# slug -> (relative weight, related slugs that may be added as second category)
CATEGORY_MIX = {
    "robo": (14, ["robo-vehiculo", "amenazas"]), "robo-vehiculo": (5, ["robo"]),
    "extorsion": (10, ["amenazas", "desplazamiento-forzado"]),
    "reclutamiento-pandillas": (4, ["amenazas", "desplazamiento-forzado"]),
    "balacera": (9, ["amenazas"]), "violencia-domestica": (6, ["amenazas"]),
    "amenazas": (6, ["extorsion", "desplazamiento-forzado"]), "soborno": (5, ["abuso-policial"]),
    "malversacion": (3, ["soborno"]), "inundacion": (6, ["deslizamiento", "falta-agua"]),
    "deslizamiento": (3, ["inundacion"]), "incendio": (3, ["extorsion"]),
    "falta-agua": (6, ["malversacion"]), "apagon": (4, ["robo"]),
    "desaparicion": (4, ["reclutamiento-pandillas"]), "abuso-policial": (4, ["soborno"]),
    "desplazamiento-forzado": (3, ["extorsion", "amenazas"]),
}
SENSITIVE = {"violencia-domestica", "desaparicion", "reclutamiento-pandillas", "desplazamiento-forzado", "amenazas"}

FIRST_NAMES = ["María", "José", "Juan", "Ana", "Carlos", "Rosa", "Luis", "Marta", "Francisco", "Dania",
               "Jorge", "Karla", "Óscar", "Glenda", "Mario", "Sandra", "Wilmer", "Yesenia", "Héctor", "Lourdes",
               "Marvin", "Iris", "Elvin", "Suyapa", "Nelson", "Xiomara", "Denis", "Reina", "Kevin", "Gloria"]

STATUSES = (["new", "in_review", "verified", "published", "rejected", "archived"], [15, 10, 10, 55, 7, 3])
SOURCES = (["web", "sms", "whatsapp", "telegram", "email", "odk", "api"], [35, 25, 15, 5, 5, 10, 5])
PRECISIONS = ([50, 100, 500, 1000], [30, 40, 20, 10])
WEEKDAYS_ES = ["el lunes", "el martes", "el miércoles", "el jueves", "el viernes", "el sábado", "el domingo"]
WEEKDAYS_EN = ["on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "on Saturday", "on Sunday"]
# relative likelihood of each local hour 0..23 (evenings and nights heavier)
HOUR_WEIGHTS = [4, 3, 2, 2, 2, 3, 4, 5, 5, 5, 5, 5, 6, 6, 6, 6, 7, 8, 9, 10, 10, 9, 7, 5]
HN_TZ = datetime.timezone(datetime.timedelta(hours=-6), "CST")
DAYS_BACK = 180
RURAL_SHARE = 0.10
ENGLISH_SHARE = 0.05


def _cum(weights):
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


_CAT_SLUGS = list(CATEGORY_MIX)
_CAT_CUM = _cum(w for w, _ in CATEGORY_MIX.values())
_PLACE_CUM = _cum(p["weight"] for p in PLACES)
_STATUS_CUM = _cum(STATUSES[1])
_SOURCE_CUM = _cum(SOURCES[1])
_PREC_CUM = _cum(PRECISIONS[1])
_HOUR_CUM = _cum(HOUR_WEIGHTS)


def _hour_es(h: int) -> str:
    if h in (0, 12):
        return "las 12 de la noche" if h == 0 else "las 12 del mediodía"
    h12 = h if h < 12 else h - 12
    art = "la 1" if h12 == 1 else "las %d" % h12
    part = "de la madrugada" if h < 6 else "de la mañana" if h < 12 else "de la tarde" if h < 19 else "de la noche"
    return "%s %s" % (art, part)


def _hour_en(h: int) -> str:
    return {0: "midnight", 12: "noon"}.get(h, "%d %s" % (h % 12, "am" if h < 12 else "pm"))


def _ascii(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()


def _jitter(rng: random.Random, lat: float, lon: float, max_m: float = 400.0):
    r = max_m * math.sqrt(rng.random())
    theta = rng.random() * 2 * math.pi
    dlat = r * math.cos(theta) / 111_320.0
    dlon = r * math.sin(theta) / (111_320.0 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def _occurred_at(rng: random.Random, now_local: datetime.datetime) -> datetime.datetime:
    # more recent days denser: day offset skewed towards 0
    days = min(int(DAYS_BACK * rng.random() ** 1.8), DAYS_BACK - 1)
    hour = rng.choices(range(24), cum_weights=_HOUR_CUM)[0]
    day = (now_local - datetime.timedelta(days=days)).date()
    dt = datetime.datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=HN_TZ)
    if dt > now_local:  # today, but later than now: move to a random moment earlier today
        midnight = now_local.replace(hour=0, minute=0, second=0, microsecond=0)
        span = max(int((now_local - midnight).total_seconds()), 1)
        dt = midnight + datetime.timedelta(seconds=rng.randrange(span))
    return dt


def _contact(rng: random.Random, source: str, name: str) -> str:
    if rng.random() < 0.5:
        return ""
    use_email = source in ("email", "api") or (source in ("web", "odk") and rng.random() < 0.5)
    if use_email:
        base = _ascii(name) if name else rng.choice(["vecino", "denuncia", "ciudadano", "anonimo", "comunidad"])
        return "%s%d@example.org" % (base, rng.randrange(10, 999))
    return "+504 %d%03d-%04d" % (rng.choice([3, 8, 9, 9, 9]), rng.randrange(1000), rng.randrange(10000))


def generate(rng: random.Random, n: int, now: datetime.datetime, english: float | None = None) -> Iterator[dict]:
    """Yield ``n`` demo reports; deterministic for a given ``rng`` state.

    ``english`` is the share of reports written in English: 0 for a Spanish deployment (an inbox
    in one language), 1 for an English one; None mixes in a few (more on the Bay Islands)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=datetime.UTC)
    now_local = now.astimezone(HN_TZ)
    for _ in range(n):
        # --- where
        if rng.random() < RURAL_SHARE:
            name, muni, dept, plat, plon = rng.choice(RURAL_PLACES)
            barrio, ciudad, place_name = name, muni, "%s, %s" % (name, muni) if name != muni else name
            precision = rng.choice([500, 1000, 1000])
            english_share = 0.3 if dept == "Islas de la Bahía" else ENGLISH_SHARE
            english_share = english_share if english is None else english
        else:
            place = PLACES[rng.choices(range(len(PLACES)), cum_weights=_PLACE_CUM)[0]]
            barrio, plat, plon = rng.choice(place["neighbourhoods"])
            ciudad, muni, dept = place["city"], place["municipality"], place["department"]
            place_name = "%s, %s" % (barrio, ciudad)
            precision = rng.choices(PRECISIONS[0], cum_weights=_PREC_CUM)[0]
            english_share = 0.4 if dept == "Islas de la Bahía" else ENGLISH_SHARE
            english_share = english_share if english is None else english
        lat, lon = _jitter(rng, plat, plon)

        # --- what
        slug = _CAT_SLUGS[rng.choices(range(len(_CAT_SLUGS)), cum_weights=_CAT_CUM)[0]]
        slugs = [slug]
        if rng.random() < 0.2:
            slugs.append(rng.choice(CATEGORY_MIX[slug][1]))
        when = _occurred_at(rng, now_local)
        language = "en" if rng.random() < english_share else "es"
        es_t, es_d, en_t, en_d = TEMPLATES[slug]
        if language == "en":
            titles, descs = en_t, en_d
            fill = {"barrio": barrio, "ciudad": ciudad, "hora": _hour_en(when.hour), "dia": WEEKDAYS_EN[when.weekday()]}
        else:
            titles, descs = es_t, es_d
            fill = {"barrio": barrio, "ciudad": ciudad, "hora": _hour_es(when.hour), "dia": WEEKDAYS_ES[when.weekday()]}
        fill["Dia"] = fill["dia"][0].upper() + fill["dia"][1:]
        title = rng.choice(titles).format(**fill)[:200]
        description = rng.choice(descs).format(**fill)
        description = description[0].upper() + description[1:]
        source = rng.choices(SOURCES[0], cum_weights=_SOURCE_CUM)[0]
        if source == "sms":  # SMS reports are short: keep the first sentence only
            description = description.split(". ")[0].rstrip(".") + "."

        # --- workflow
        status = rng.choices(STATUSES[0], cum_weights=_STATUS_CUM)[0]
        vis_weights = (60, 32, 8) if slug in SENSITIVE else (90, 8, 2)
        visibility = rng.choices(["public", "restricted", "confidential"], weights=vis_weights)[0]
        reporter_name = rng.choice(FIRST_NAMES) if rng.random() < 0.45 else ""

        yield {
            "title": title,
            "description": description,
            "category_slugs": slugs,
            "occurred_at": when,
            "lat": lat,
            "lon": lon,
            "precision_m": precision,
            "place_name": place_name,
            "admin1": dept,
            "admin2": muni,
            "status": status,
            "visibility": visibility,
            "source": source,
            "language": language,
            "reporter_name": reporter_name,
            "reporter_contact": _contact(rng, source, reporter_name),
        }
