"""Word lists the demo draws from: company and people names, titles, ticket subjects, comments.

Only data lives here; `story` and `activity` decide how often each word is used.
"""

COMPANY_STEMS = (
    "Acorn", "Alder", "Amber", "Anchor", "Apex", "Arbor", "Aspen", "Atlas", "Aurora", "Basalt",
    "Beacon", "Birch", "Bluebird", "Boulder", "Bright", "Brook", "Canyon", "Cedar", "Cinder",
    "Cobalt", "Copper", "Coral", "Crest", "Delta", "Drift", "Ember", "Evergreen", "Falcon",
    "Fern", "Fjord", "Flint", "Garnet", "Glacier", "Granite", "Harbor", "Hazel", "Heron",
    "Horizon", "Indigo", "Iron", "Juniper", "Kestrel", "Lantern", "Linden", "Lumen", "Maple",
    "Meadow", "Meridian", "Mosaic", "Northwind", "Oak", "Onyx", "Orchid", "Pebble", "Pine",
    "Prairie", "Quarry", "Quill", "Raven", "Redwood", "Ridge", "River", "Saffron", "Sage",
    "Sequoia", "Silver", "Slate", "Solstice", "Sparrow", "Spruce", "Summit", "Tidal", "Timber",
    "Topaz", "Tundra", "Vale", "Vertex", "Willow", "Zephyr", "Zenith",
)  # fmt: skip
COMPANY_TAILS = (
    "", "", "", "field", "stone", "point", "works", "line", "gate", "wave", "bridge", "light",
    "path", "base", "forge", "grove", "peak", "shore", "wood", "well",
)  # fmt: skip
INDUSTRY_WORDS = {
    "Software": ("Software", "Labs", "Systems", "Cloud", "Digital"),
    "Financial Services": ("Capital", "Finance", "Payments", "Lending", "Insurance"),
    "Healthcare": ("Health", "Care", "Clinics", "Medical", "Diagnostics"),
    "Retail": ("Retail", "Goods", "Outfitters", "Market", "Stores"),
    "Manufacturing": ("Manufacturing", "Industries", "Components", "Machining", "Plastics"),
    "Logistics": ("Logistics", "Freight", "Shipping", "Transport", "Supply"),
    "Education": ("Learning", "Academy", "Education", "Tutoring", "Schools"),
    "Media": ("Media", "Studios", "Publishing", "Broadcasting", "Creative"),
    "Professional Services": ("Consulting", "Partners", "Advisory", "Legal", "Accounting"),
    "Hospitality": ("Hotels", "Hospitality", "Travel", "Resorts", "Dining"),
}
LEGAL_FORMS = ("", "", "", "Inc.", "Ltd", "LLC", "GmbH", "Group", "Co.")

REGIONS = ("North America", "EMEA", "APAC", "LATAM")
REGION_WEIGHTS = (0.45, 0.32, 0.15, 0.08)

FIRST_NAMES = (
    "Aisha", "Alex", "Amara", "Ana", "Andrea", "Arjun", "Ben", "Bianca", "Carlos", "Chen",
    "Chloé", "Daniel", "Dara", "David", "Elena", "Emma", "Farah", "Felix", "Grace", "Hana",
    "Hiro", "Ines", "Isaac", "Jamal", "Jana", "Jonas", "José", "Julia", "Kai", "Kenji", "Lars",
    "Laura", "Leila", "Liam", "Lucas", "Maria", "Marta", "Mateo", "Mei", "Mia", "Nadia",
    "Noah", "Olga", "Omar", "Pablo", "Priya", "Rafael", "Rania", "Rosa", "Sam", "Sara",
    "Søren", "Tariq", "Thomas", "Uma", "Victor", "Wei", "Yara", "Yusuf", "Zoë",
)  # fmt: skip
LAST_NAMES = (
    "Adeyemi", "Alvarez", "Andersen", "Bauer", "Becker", "Brown", "Castro", "Chen", "Costa",
    "Dubois", "Eriksson", "Fischer", "Garcia", "Gupta", "Hansen", "Ito", "Jensen", "Kim",
    "Kowalski", "Larsen", "Lee", "Lopez", "Martin", "Müller", "Nakamura", "Nguyen", "Novak",
    "O'Brien", "Okafor", "Patel", "Petrov", "Rossi", "Santos", "Schmidt", "Silva", "Singh",
    "Smith", "Suzuki", "Tanaka", "Taylor", "Virtanen", "Wagner", "Walker", "Wang", "Weber",
    "Williams", "Wilson", "Yilmaz", "Zhang", "Zimmermann",
)  # fmt: skip

CHAMPION_TITLES = (
    "Head of Customer Success", "VP Operations", "Director of Sales Operations",
    "Head of Revenue Operations", "VP Customer Experience", "Operations Manager",
)  # fmt: skip
CONTACT_TITLES = (
    "Account Manager", "Sales Manager", "Customer Success Manager", "Data Analyst",
    "IT Administrator", "Finance Manager", "Support Lead", "Marketing Manager", "CFO", "CTO",
    "Office Manager", "Product Manager", "Team Lead", "Procurement Specialist",
)  # fmt: skip

# (feature key, display name, relative popularity, mean events per active day, minutes per event)
FEATURES = (
    ("dashboards", "dashboards", 1.0, 6.0, 1.5),
    ("accounts", "account pages", 0.9, 10.0, 0.8),
    ("reports", "reports", 0.7, 4.0, 2.5),
    ("alerts", "alerts", 0.45, 5.0, 0.5),
    ("playbooks", "playbooks", 0.35, 3.0, 3.0),
    ("surveys", "surveys", 0.3, 3.0, 2.0),
    ("exports", "CSV exports", 0.25, 2.0, 1.0),
    ("integrations", "integrations", 0.15, 2.0, 4.0),
    ("api", "the API", 0.1, 40.0, 0.1),
)
INTEGRATIONS = ("Salesforce", "HubSpot", "Zendesk", "Slack", "Jira", "Snowflake", "Intercom")

# Ticket subjects by priority; {feature}, {integration} and {n} are filled in per ticket.
TICKET_SUBJECTS = {
    "urgent": (
        "Production outage: {feature} not loading for anyone",
        "Data sync from {integration} stopped overnight",
        "All users locked out after SSO change",
        "Wrong numbers in the board report, meeting in {n} hours",
        "Security question: unexpected login from unknown IP",
        "Invoices sent to the wrong billing contact",
    ),
    "high": (
        "{integration} sync fails with a timeout",
        "SSO login fails for {n} users",
        "Scheduled report not delivered since Monday",
        "Stale data in {feature} since this morning",
        "Bulk import rejected, {n} rows with errors",
        'Error "500" when opening {feature}',
        "Webhooks to {integration} return 401",
    ),
    "normal": (
        "How do we set up {feature} for a new team?",
        "CSV export times out in {feature}",
        "Question about our invoice and seat count",
        "Need help mapping fields from {integration}",
        "Add {n} more seats to our plan",
        "Filters reset after reload in {feature}",
        "Permissions: managers can't see their team's accounts",
        "Change the owner of {n} accounts at once",
        "Time zone of scheduled reports is off by an hour",
    ),
    "low": (
        "Feature request: dark mode",
        "Feature request: more chart types in {feature}",
        "Typo in the weekly digest email",
        "Can we rename custom fields?",
        "Where can I find the API documentation?",
        "Suggestion: keyboard shortcuts in {feature}",
        "Logo looks blurry on the login page",
        "How do I change my notification settings?",
    ),
}

# Survey comments by mood. A comment is one or two sentences drawn from its mood's list.
COMMENTS = {
    "positive": (
        "Love how quickly we can see which accounts need attention.",
        "Using {feature} saves our team hours every week.",
        "Support answered within minutes, and actually fixed it.",
        "Onboarding was smooth; our CSM knew exactly what we needed.",
        "Best tool we added this year, honestly.",
        "Our renewals are way more predictable since we started using {feature}.",
        'The "health score" view is the first thing I open every morning.',
        "Great product, great people.",
        "Setup of the {integration} integration took ten minutes.",
        "Everyone on the team uses it daily.",
        "Clear, fast, and it just works.",
        "Keep going, the last releases were excellent.",
    ),
    "neutral": (
        "Does the job; {feature} could be faster.",
        "Solid overall, but reporting needs more flexibility.",
        "Good product, a bit pricey for a team our size.",
        "Fine for now. We'd like better {integration} support.",
        "Some features are hard to find.",
        "The ticket was resolved, it just took a few back-and-forths.",
        "It's okay. The mobile experience is lacking.",
        "Useful, though we only use a fraction of it.",
        "Works, but the learning curve for new hires is steep.",
    ),
    "negative": (
        "Too many bugs in {feature} lately.",
        "We waited days for an answer on an urgent issue.",
        "The {integration} sync keeps breaking and nobody owns it.",
        "Hard to justify the price with how little we use it.",
        "Since our main admin left, nobody here knows how to use it.",
        "Data is often out of date, so people stopped trusting it.",
        "Support closed my ticket without fixing anything.",
        "We're evaluating alternatives.",
        'Honestly, "easy to use" is not how I\'d describe it.',
        "Slow, confusing, and something in {feature} breaks every other week.",
        "Not what we were promised during the sale.",
    ),
}
