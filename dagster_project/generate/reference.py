"""Built-in vocabularies the generator draws from: names, places, domains, products, devices.

Kept in code rather than fetched so the generator runs offline and its output depends on
nothing but the seed. The names deliberately include diacritics, apostrophes, hyphens and
particles (José, Zoë, Müller, O'Brien, Meyer-Hoffmann, de la Cruz), which identity
resolution must survive.
"""

from __future__ import annotations

from typing import NamedTuple

COUNTRY_WEIGHTS: tuple[tuple[str, float], ...] = (("GB", 40), ("US", 30), ("DE", 15), ("FR", 15))
CURRENCY = {"GB": "GBP", "US": "USD", "DE": "EUR", "FR": "EUR"}
COUNTRY_CALLING_CODE = {"GB": "44", "US": "1", "DE": "49", "FR": "33"}

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "GB": (
        "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Emily", "Charlie", "Sophie",
        "Thomas", "Grace", "James", "Olivia", "William", "Lily", "Daniel", "Chloë", "Siobhán",
        "Niamh", "Seán", "Zoë", "Rhys", "Megan", "Callum", "Eleanor", "Liam", "Hannah", "Noah",
        "Ruby", "Mohammed", "Priya", "Aoife", "Ciarán", "Mary-Jane", "Sarah", "David", "John",
    ),
    "US": (
        "Michael", "Jennifer", "David", "Jessica", "Christopher", "Ashley", "Matthew", "Sarah",
        "Joshua", "Emily", "Andrew", "Madison", "José", "María", "Luis", "Ana", "Tyler",
        "Brittany", "Kevin", "Lauren", "DeShawn", "Keisha", "Renée", "Zoë", "Jamal", "Chloé",
        "Mary-Kate", "Ethan", "Mia", "Sofía", "John", "Robert", "Linda", "Ángel",
    ),
    "DE": (
        "Lukas", "Anna", "Leon", "Marie", "Finn", "Lena", "Jonas", "Laura", "Paul", "Lea",
        "Jürgen", "Jörg", "Björn", "Günter", "Käthe", "Uwe", "Sören", "Mia", "Felix", "Max",
        "Sophie", "Hans-Peter", "Karl-Heinz", "Anna-Lena", "Ömer", "Ayşe", "Elif", "Thomas",
        "Sabine", "Stefan", "Katharina", "Michael",
    ),
    "FR": (
        "Jean", "Marie", "Pierre", "Camille", "Louis", "Léa", "Hugo", "Chloé", "Lucas", "Manon",
        "François", "Hélène", "Anaïs", "Jérôme", "Noël", "Agnès", "Zoé", "Maëlle", "Gaëlle",
        "Jean-Luc", "Marie-Claire", "Jean-Baptiste", "Théo", "Inès", "Mathéo", "Océane",
        "Benoît", "Loïc", "Nicolas", "Julie", "Sébastien", "Émilie",
    ),
}

LAST_NAMES: dict[str, tuple[str, ...]] = {
    "GB": (
        "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
        "Roberts", "Johnson", "Lewis", "Walker", "Robinson", "Wood", "Thompson", "White",
        "Watson", "Jackson", "Wright", "Green", "Harris", "Cooper", "King", "Lee", "Martin",
        "Clarke", "O'Brien", "O'Connor", "O'Neill", "McDonald", "MacLeod", "Smith-Jones",
        "Patel", "Khan", "Ahmed", "Singh", "Fitzgerald", "D'Arcy", "Bowen-Hughes",
    ),
    "US": (
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
        "Rodriguez", "Martinez", "Hernández", "López", "González", "Wilson", "Anderson",
        "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Pérez", "Thompson", "White",
        "Harris", "Sánchez", "Clark", "Ramírez", "Lewis", "Robinson", "D'Angelo", "O'Malley",
        "Nguyen", "Kim", "Chen", "Núñez", "Peña", "de la Cruz", "Van Buren", "Smith-Parker",
    ),
    "DE": (
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
        "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann",
        "Hartmann", "Lange", "Groß", "Köhler", "Meyer-Hoffmann", "von Berg", "Yılmaz",
        "Öztürk", "Weiß", "Jäger", "Schulze-Wehninck",
    ),
    "FR": (
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David",
        "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Lefebvre",
        "Mercier", "Dupont", "Lambert", "Bonnet", "François", "D'Almeida", "Le Gall",
        "Fontaine-Dupré", "Chevalier", "Gauthier", "Hébert", "Côté", "Thévenin", "N'Diaye",
    ),
}

STREETS: dict[str, tuple[str, ...]] = {
    "GB": (
        "High Street", "Station Road", "Church Lane", "Victoria Road", "Green Lane",
        "Manor Road", "Park Avenue", "King's Road", "Queen's Drive", "Mill Lane",
        "St John's Close", "London Road",
    ),
    "US": (
        "Main St", "Oak Ave", "Maple St", "Washington Blvd", "Park Ave", "2nd St", "Elm St",
        "Lake Dr", "Sunset Blvd", "Cedar Ln", "Pine St", "Broadway",
    ),
    "DE": (
        "Hauptstraße", "Bahnhofstraße", "Schulstraße", "Gartenstraße", "Dorfstraße",
        "Lindenstraße", "Bergstraße", "Kirchstraße", "Goethestraße", "Schillerstraße",
        "Am Markt", "Friedrich-Ebert-Straße",
    ),
    "FR": (
        "rue de la Paix", "rue Victor Hugo", "avenue des Champs-Élysées",
        "boulevard Saint-Michel", "rue de la République", "place de l'Église",
        "rue Jean Jaurès", "avenue Foch", "rue du Général de Gaulle", "chemin des Vignes",
        "allée des Tilleuls", "quai de Bercy",
    ),
}


class City(NamedTuple):
    """A city: its zone, the postal-code prefixes it uses and its telephone area codes."""

    country: str
    name: str
    zone: str
    postal_prefixes: tuple[str, ...]
    area_codes: tuple[str, ...]


_GB, _US = "Europe/London", "America/New_York"
CITIES: tuple[City, ...] = (
    City("GB", "London", _GB, ("SW1A", "SE1", "E1", "N1", "W1D", "NW3", "EC1A", "SW19"), ("20",)),
    City("GB", "Manchester", _GB, ("M1", "M4", "M14", "M20"), ("161",)),
    City("GB", "Birmingham", _GB, ("B1", "B15", "B29"), ("121",)),
    City("GB", "Leeds", _GB, ("LS1", "LS6", "LS17"), ("113",)),
    City("GB", "Glasgow", _GB, ("G1", "G12", "G41"), ("141",)),
    City("GB", "Bristol", _GB, ("BS1", "BS6", "BS16"), ("117",)),
    City("GB", "Cardiff", _GB, ("CF10", "CF24"), ("29",)),
    City("GB", "Edinburgh", _GB, ("EH1", "EH3", "EH16"), ("131",)),
    City("US", "New York", _US, ("100", "101", "102"), ("212", "646", "718", "917")),
    City("US", "Boston", _US, ("021",), ("617", "857")),
    City("US", "Newark", _US, ("071",), ("973",)),
    City("US", "Miami", _US, ("331",), ("305", "786")),
    City("US", "Chicago", "America/Chicago", ("606",), ("312", "773")),
    City("US", "Houston", "America/Chicago", ("770",), ("713", "832")),
    City("US", "Los Angeles", "America/Los_Angeles", ("900",), ("213", "310", "323")),
    City("US", "San Francisco", "America/Los_Angeles", ("941",), ("415", "628")),
    City("US", "Seattle", "America/Los_Angeles", ("981",), ("206",)),
    City("DE", "Berlin", "Europe/Berlin", ("10", "12", "13"), ("30",)),
    City("DE", "Hamburg", "Europe/Berlin", ("20", "22"), ("40",)),
    City("DE", "München", "Europe/Berlin", ("80", "81"), ("89",)),
    City("DE", "Köln", "Europe/Berlin", ("50", "51"), ("221",)),
    City("DE", "Frankfurt am Main", "Europe/Berlin", ("60",), ("69",)),
    City("DE", "Dresden", "Europe/Berlin", ("01",), ("351",)),
    City("DE", "Leipzig", "Europe/Berlin", ("04",), ("341",)),
    City("DE", "Stuttgart", "Europe/Berlin", ("70",), ("711",)),
    City("FR", "Paris", "Europe/Paris", tuple(f"750{n:02d}" for n in range(1, 21)), ("1",)),
    City("FR", "Lyon", "Europe/Paris", tuple(f"6900{n}" for n in range(1, 10)), ("4",)),
    City("FR", "Marseille", "Europe/Paris", tuple(f"130{n:02d}" for n in range(1, 17)), ("4",)),
    City("FR", "Toulouse", "Europe/Paris", ("31000", "31100", "31200", "31300", "31400", "31500"), ("5",)),
    City("FR", "Nice", "Europe/Paris", ("06000", "06100", "06200", "06300"), ("4",)),
    City("FR", "Lille", "Europe/Paris", ("59000", "59800"), ("3",)),
    City("FR", "Bordeaux", "Europe/Paris", ("33000", "33100", "33200", "33300", "33800"), ("5",)),
    City("FR", "Saint-Étienne", "Europe/Paris", ("42000", "42100"), ("4",)),
)
CITIES_BY_COUNTRY: dict[str, tuple[City, ...]] = {
    c: tuple(city for city in CITIES if city.country == c) for c, _ in COUNTRY_WEIGHTS
}

#: personal e-mail domains per country, with weights
EMAIL_DOMAINS: dict[str, tuple[tuple[str, float], ...]] = {
    "GB": (("gmail.com", 35), ("hotmail.co.uk", 15), ("outlook.com", 12), ("yahoo.co.uk", 10),
           ("btinternet.com", 8), ("icloud.com", 10), ("sky.com", 5), ("live.co.uk", 5)),
    "US": (("gmail.com", 45), ("yahoo.com", 15), ("outlook.com", 10), ("icloud.com", 12),
           ("aol.com", 6), ("hotmail.com", 8), ("comcast.net", 4)),
    "DE": (("gmail.com", 25), ("web.de", 22), ("gmx.de", 22), ("t-online.de", 12),
           ("outlook.de", 8), ("yahoo.de", 5), ("posteo.de", 6)),
    "FR": (("gmail.com", 35), ("orange.fr", 18), ("free.fr", 12), ("laposte.net", 10),
           ("hotmail.fr", 12), ("sfr.fr", 8), ("yahoo.fr", 5)),
}

#: e-mail addresses typed when a customer will not give one; shared by unrelated people
JUNK_EMAILS: tuple[str, ...] = ("test@test.com", "noemail@example.com")
#: a phone typed to get past a mandatory field; shared by unrelated people
JUNK_PHONE = "0000000000"

COMPANIES: tuple[str, ...] = (
    "Acme Ltd", "Globex GmbH", "Initech Inc", "Umbrella SARL", "Stark & Sons", "Wayne Logistics",
    "Müller Bau GmbH", "Café Lumière", "O'Hara Consulting", "Northwind Traders",
)

PRODUCT_CATEGORIES: tuple[str, ...] = ("shoes", "jackets", "bags", "shirts", "accessories", "home")
_ADJECTIVES = ("Classic", "Urban", "Alpine", "Coastal", "Heritage", "Studio", "Trail", "Nordic")
_ITEMS = {
    "shoes": ("Runner", "Loafer", "Boot"),
    "jackets": ("Parka", "Rain Jacket", "Blazer"),
    "bags": ("Tote", "Backpack", "Weekender"),
    "shirts": ("Oxford Shirt", "Tee", "Polo"),
    "accessories": ("Scarf", "Beanie", "Wallet"),
    "home": ("Throw", "Mug Set", "Candle"),
}


class Product(NamedTuple):
    """A catalogue item as the e-commerce events describe it."""

    product_id: str
    sku: str
    name: str
    category: str
    price: float
    slug: str


def _catalogue() -> tuple[Product, ...]:
    """A fixed catalogue: every adjective x item, priced by a formula (no randomness)."""
    products = []
    n = 0
    for category in PRODUCT_CATEGORIES:
        for item in _ITEMS[category]:
            for i, adjective in enumerate(_ADJECTIVES):
                n += 1
                name = f"{adjective} {item}"
                price = round(9.99 + ((n * 37) % 23) * 6.5 + i * 2, 2)
                slug = name.lower().replace(" ", "-")
                products.append(Product(f"prd_{n:04d}", f"SKU-{10000 + n * 7}", name, category, price, slug))
    return tuple(products)


PRODUCTS: tuple[Product, ...] = _catalogue()

SITE = "https://www.shop.example"
PAGE_TITLES = {"home": "Shop - Home", "category": "Shop - {}", "product": "{} | Shop", "cart": "Your basket | Shop",
               "account": "My account | Shop", "search": "Search results | Shop"}
EXTERNAL_REFERRERS: tuple[str, ...] = (
    "https://www.google.com/", "https://www.bing.com/", "https://www.facebook.com/",
    "https://www.instagram.com/", "https://t.co/", "",
)
CAMPAIGNS: tuple[tuple[str, str, str], ...] = (  # name, source, medium
    ("winter_sale", "newsletter", "email"),
    ("new_arrivals", "facebook", "social"),
    ("brand_search", "google", "cpc"),
    ("retargeting_q1", "criteo", "display"),
    ("loyalty_bonus", "sms", "sms"),
)
APP_SCREENS: tuple[str, ...] = ("Home", "Category", "Product Detail", "Cart", "Account", "Search")

BROWSER_AGENTS: dict[str, tuple[str, ...]] = {
    "desktop": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    ),
    "mobile": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    ),
}
#: app device kind -> (manufacturer, model, os name, os version)
APP_DEVICES: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "ios": (("Apple", "iPhone15,2", "iOS", "18.1"), ("Apple", "iPhone14,5", "iOS", "17.6"),
            ("Apple", "iPad13,4", "iPadOS", "18.0")),
    "android": (("samsung", "SM-S918B", "Android", "14"), ("Google", "Pixel 8", "Android", "14"),
                ("Xiaomi", "2201123G", "Android", "13")),
}
APP_VERSION = ("4.12.0", "412")
