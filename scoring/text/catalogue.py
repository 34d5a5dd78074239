"""Feature metadata: FR/EN labels and descriptions, units, formats, and what an advisor may do.

One `FeatureInfo` per feature column of the feature table (a test checks that
`build_features` produces no column without an entry). Patterned families
(building descriptors, credit-bureau enquiries, external scores, history
aggregates) are generated from compact per-pattern definitions; everything is
written in the project's own words.

Units (kept deliberately few; `UNITS` documents them):
currency, years, months, days, percent (a 0-1 share shown as %), ratio (a
plain quotient), count, number (any other quantity), score (0-1 external
score), category, flag (0/1 or Y/N).

`RAW_FIELDS` lists the raw application fields an advisor may edit in the
what-if form; their values are exchanged in *display units* (e.g. years of
employment, not negative days) and converted with `RawField.to_raw`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from scoring.data.schema import DAYS_NOT_APPLICABLE
from scoring.text import formatting

YEAR_DAYS = 365.25
NNBSP = "\u202f"  # narrow no-break space: French thousands separator and before units

#: unit -> (FR, EN) meaning, for documentation and the dashboard's legend.
UNITS: dict[str, tuple[str, str]] = {
    "currency": ("montant en euros", "amount in euros"),
    "years": ("durée en années", "duration in years"),
    "months": ("durée en mois", "duration in months"),
    "days": ("durée en jours", "duration in days"),
    "percent": ("part exprimée en pourcentage", "share shown as a percentage"),
    "ratio": ("rapport entre deux grandeurs", "quotient of two quantities"),
    "count": ("nombre entier", "whole number"),
    "number": ("valeur numérique", "numeric value"),
    "score": ("score entre 0 et 1", "score between 0 and 1"),
    "category": ("catégorie", "category"),
    "flag": ("oui / non", "yes / no"),
}

#: Default number format (Python format spec) per unit.
UNIT_FMT: dict[str, str] = {
    "currency": ",.0f", "years": ".1f", "months": ".0f", "days": ".0f", "percent": ".0f",
    "ratio": ".2f", "count": ",.0f", "number": ",.2f", "score": ".2f", "category": "",
    "flag": "",
}

#: group key -> (FR name, EN name), in the order the dashboard shows them.
GROUPS: dict[str, tuple[str, str]] = {
    "identity_family": ("Identité et famille", "Identity and family"),
    "income": ("Revenus", "Income"),
    "credit_asked": ("Crédit demandé", "Credit requested"),
    "employment": ("Emploi", "Employment"),
    "external_scores": ("Scores externes", "External scores"),
    "bureau_history": ("Crédits auprès d'autres établissements", "Credits with other lenders"),
    "previous_applications": ("Demandes précédentes chez nous", "Previous applications with us"),
    "repayment_behaviour": ("Comportement de remboursement", "Repayment behaviour"),
    "credit_cards": ("Cartes de crédit", "Credit cards"),
    "assets": ("Patrimoine", "Assets"),
    "housing": ("Logement", "Housing"),
    "contact_region": ("Contact et région", "Contact and region"),
    "social_circle": ("Entourage", "Social circle"),
    "documents": ("Pièces justificatives", "Documents"),
}


@dataclass(frozen=True)
class FeatureInfo:
    """What the dashboard and the explanations need to know about one feature column."""

    name: str
    source_table: str  # "application", a history table name, or "application+bureau"
    group: str  # key of GROUPS
    label_fr: str
    label_en: str
    description_fr: str
    description_en: str
    unit: str  # key of UNITS
    fmt: str  # Python format spec for the number (after percent scaling); "" for text
    editable: bool = False  # its raw value can be edited in the what-if form (see RAW_FIELDS)
    actionable: bool = False  # the client could act on it (amount asked, repayment behaviour)
    protected: bool = False  # sensitive: never offered as a reason or a recourse
    excluded_by_policy: bool = False  # never a model input unless `train --keep-protected`

    @property
    def label(self) -> tuple[str, str]:
        """(FR, EN) label; `scoring.text.catalogue.label(name, lang)` picks one."""
        return self.label_fr, self.label_en

    @property
    def description(self) -> tuple[str, str]:
        """(FR, EN) description."""
        return self.description_fr, self.description_en


# --------------------------------------------------------------------------------------------
# Compact definitions. Each row: name, group, unit, label FR, label EN, description FR,
# description EN, flags ("e" editable, "a" actionable, "p" protected, "x" excluded from the
# model's inputs by policy: see PROTECTED_GROUPINGS below).
# --------------------------------------------------------------------------------------------
_Row = tuple[str, str, str, str, str, str, str, str]

_APPLICATION: list[_Row] = [
    # identity and family
    ("CODE_GENDER", "identity_family", "category", "Genre", "Gender",
     "Genre déclaré par le client.", "Gender declared by the client.", "px"),
    ("AGE_YEARS", "identity_family", "years", "Âge", "Age",
     "Âge du client au moment de la demande.", "Age of the client when applying.", "p"),
    ("NAME_FAMILY_STATUS", "identity_family", "category", "Situation familiale", "Family status",
     "Situation familiale déclarée (marié, célibataire, etc.).",
     "Declared family status (married, single, etc.).", "ep"),
    ("CNT_CHILDREN", "identity_family", "count", "Nombre d'enfants", "Number of children",
     "Nombre d'enfants à charge déclarés.", "Number of dependent children declared.", "ep"),
    ("CNT_FAM_MEMBERS", "identity_family", "count", "Taille du foyer", "Household size",
     "Nombre de personnes dans le foyer, client compris.",
     "Number of people in the household, the client included.", "ep"),
    ("NAME_TYPE_SUITE", "identity_family", "category", "Accompagnant lors de la demande",
     "Accompanied by", "Personne qui accompagnait le client lors de la demande.",
     "Who came with the client when applying.", ""),
    ("NAME_EDUCATION_TYPE", "identity_family", "category", "Niveau d'études", "Education level",
     "Plus haut niveau d'études atteint par le client.",
     "Highest level of education the client reached.", "e"),
    # income
    ("AMT_INCOME_TOTAL", "income", "currency", "Revenu annuel", "Annual income",
     "Revenu total déclaré par le client sur un an.",
     "Total income the client declares for one year.", "e"),
    ("NAME_INCOME_TYPE", "income", "category", "Source de revenus", "Income source",
     "Nature principale des revenus (salarié, retraité, indépendant, etc.).",
     "Main kind of income (employee, pensioner, self-employed, etc.).", "e"),
    ("INCOME_PER_PERSON", "income", "currency", "Revenu par personne du foyer",
     "Income per household member",
     "Revenu annuel divisé par le nombre de personnes du foyer.",
     "Annual income divided by the number of people in the household.", "p"),
    # credit asked
    ("NAME_CONTRACT_TYPE", "credit_asked", "category", "Type de crédit", "Credit type",
     "Prêt classique remboursé par mensualités ou crédit renouvelable.",
     "Instalment cash loan or revolving credit.", "ea"),
    ("AMT_CREDIT", "credit_asked", "currency", "Montant du crédit", "Credit amount",
     "Montant total du crédit demandé.", "Total amount of the credit requested.", "ea"),
    ("AMT_ANNUITY", "credit_asked", "currency", "Échéance", "Instalment",
     "Montant de l'échéance à rembourser pour ce crédit.",
     "Amount of each repayment for this credit.", "ea"),
    ("AMT_GOODS_PRICE", "credit_asked", "currency", "Prix du bien financé", "Price of the goods",
     "Prix du bien que le crédit doit financer.",
     "Price of the goods the credit is meant to pay for.", "ea"),
    ("CREDIT_INCOME_RATIO", "credit_asked", "ratio", "Crédit / revenu annuel",
     "Credit / annual income",
     "Montant du crédit rapporté au revenu annuel : plus il est élevé, plus le crédit pèse lourd.",
     "Credit amount divided by annual income: the higher, the heavier the credit.", "a"),
    ("ANNUITY_INCOME_RATIO", "credit_asked", "percent", "Taux d'effort", "Repayment burden",
     "Part du revenu annuel absorbée par l'échéance du crédit.",
     "Share of the annual income taken by the credit's instalment.", "a"),
    ("PAYMENT_RATE", "credit_asked", "percent", "Rythme de remboursement", "Repayment pace",
     "Échéance rapportée au montant du crédit : plus elle est élevée, plus le crédit est court.",
     "Instalment divided by credit amount: the higher, the shorter the credit.", "a"),
    ("GOODS_CREDIT_RATIO", "credit_asked", "ratio", "Prix du bien / crédit", "Goods price / credit",
     "Prix du bien financé rapporté au montant du crédit.",
     "Price of the goods divided by the credit amount.", "a"),
    # employment
    ("EMPLOYMENT_YEARS", "employment", "years", "Ancienneté dans l'emploi", "Years in current job",
     "Nombre d'années passées dans l'emploi actuel (vide si le client n'a pas d'emploi).",
     "Years spent in the current job (empty when the client has no job).", "e"),
    ("EMPLOYMENT_NOT_APPLICABLE", "employment", "flag", "Sans emploi salarié",
     "No current employment", "Indique que le client n'a pas d'emploi en cours (souvent un retraité).",
     "Shows that the client has no current job (often a pensioner).", ""),
    ("EMPLOYMENT_AGE_RATIO", "employment", "percent", "Part de la vie en emploi actuel",
     "Share of life in current job", "Ancienneté dans l'emploi rapportée à l'âge du client.",
     "Years in the current job divided by the client's age.", "p"),
    ("OCCUPATION_TYPE", "employment", "category", "Profession", "Occupation",
     "Métier exercé par le client.", "The client's occupation.", "e"),
    ("ORGANIZATION_TYPE", "employment", "category", "Secteur de l'employeur", "Employer sector",
     "Type d'organisation ou secteur d'activité de l'employeur.",
     "Kind of organisation or business sector of the employer.", ""),
    ("FLAG_EMP_PHONE", "employment", "flag", "Téléphone professionnel fourni", "Work phone given",
     "Le client a donné le numéro de téléphone de son employeur.",
     "The client gave the employer's phone number.", ""),
    # external scores (EXT_SOURCE_n are generated below)
    ("EXT_SOURCES_MEAN", "external_scores", "score", "Moyenne des scores externes",
     "Average external score", "Moyenne des scores externes disponibles (plus haut = plus favorable).",
     "Average of the available external scores (higher is more favourable).", ""),
    ("EXT_SOURCES_MIN", "external_scores", "score", "Plus bas score externe", "Lowest external score",
     "Le moins favorable des scores externes disponibles.",
     "The least favourable of the available external scores.", ""),
    ("EXT_SOURCES_MAX", "external_scores", "score", "Plus haut score externe",
     "Highest external score", "Le plus favorable des scores externes disponibles.",
     "The most favourable of the available external scores.", ""),
    ("EXT_SOURCES_PROD", "external_scores", "score", "Produit des scores externes",
     "Product of external scores",
     "Les trois scores externes multipliés entre eux (vide s'il en manque un).",
     "The three external scores multiplied together (empty when one is missing).", ""),
    ("EXT_SOURCES_MISSING", "external_scores", "count", "Scores externes manquants",
     "Missing external scores", "Nombre de scores externes (sur trois) non disponibles.",
     "How many of the three external scores are not available.", ""),
    # assets
    ("FLAG_OWN_CAR", "assets", "flag", "Propriétaire d'une voiture", "Owns a car",
     "Le client possède une voiture.", "The client has a car of their own.", "e"),
    ("OWN_CAR_AGE", "assets", "years", "Âge de la voiture", "Age of the car",
     "Âge de la voiture du client, s'il en possède une.",
     "Age of the client's car, if they own one.", ""),
    ("FLAG_OWN_REALTY", "assets", "flag", "Propriétaire d'un logement", "Owns a home",
     "Le client possède un bien immobilier.", "The client owns a property.", "e"),
    # housing
    ("NAME_HOUSING_TYPE", "housing", "category", "Type de logement", "Housing type",
     "Situation de logement du client (propriétaire, locataire, chez ses parents, etc.).",
     "The client's housing situation (owner, tenant, with parents, etc.).", "e"),
    ("HOUSETYPE_MODE", "housing", "category", "Type d'habitation", "Type of dwelling",
     "Nature de l'habitation (immeuble, maison mitoyenne, etc.).",
     "Kind of dwelling (block of flats, terraced house, etc.).", ""),
    ("EMERGENCYSTATE_MODE", "housing", "category", "Immeuble en état d'urgence",
     "Building in emergency state", "Indique si l'immeuble du client est signalé en état d'urgence.",
     "Whether the client's building is flagged as in an emergency state.", ""),
    ("TOTALAREA_MODE", "housing", "number", "Immeuble : surface totale", "Building: total area",
     "Indice normalisé entre 0 et 1 de la surface totale de l'immeuble du client (souvent non renseigné).",
     "Normalised index between 0 and 1 of the total area of the client's building (often not provided).",
     ""),
    # contact and region
    ("REGION_POPULATION_RELATIVE", "contact_region", "number", "Densité de population de la région",
     "Population density of the region",
     "Indice de population de la région où vit le client (plus haut = région plus peuplée).",
     "Population index of the client's region (higher means more populated).", ""),
    ("REGION_RATING_CLIENT", "contact_region", "count", "Note de la région", "Region rating",
     "Note interne de la région du client, de 1 (meilleure) à 3.",
     "Our internal rating of the client's region, from 1 (best) to 3.", ""),
    ("REGION_RATING_CLIENT_W_CITY", "contact_region", "count", "Note de la région et de la ville",
     "Region and city rating", "Note interne de la région du client tenant compte de sa ville, de 1 à 3.",
     "Our internal rating of the client's region taking the city into account, from 1 to 3.", ""),
    ("FLAG_WORK_PHONE", "contact_region", "flag", "Téléphone fixe professionnel",
     "Work landline given", "Le client a donné un numéro fixe professionnel.",
     "The client gave a work landline number.", ""),
    ("FLAG_PHONE", "contact_region", "flag", "Téléphone fixe personnel", "Home phone given",
     "Le client a donné un numéro fixe personnel.", "The client gave a home phone number.", ""),
    ("FLAG_EMAIL", "contact_region", "flag", "Adresse e-mail fournie", "Email given",
     "Le client a donné une adresse e-mail.", "The client gave an email address.", ""),
    ("REGISTRATION_YEARS", "contact_region", "years", "Ancienneté de l'inscription",
     "Years since registration change",
     "Années écoulées depuis la dernière modification de l'inscription administrative du client.",
     "Years since the client last changed their administrative registration.", ""),
    ("PHONE_CHANGE_YEARS", "contact_region", "years", "Ancienneté du numéro de téléphone",
     "Years since phone change", "Années écoulées depuis le dernier changement de téléphone.",
     "Years since the client last changed phone.", ""),
    # social circle
    ("OBS_30_CNT_SOCIAL_CIRCLE", "social_circle", "count", "Proches suivis", "Observed acquaintances",
     "Nombre de proches du client connus de nos services de suivi.",
     "How many of the client's acquaintances our monitoring knows of.", ""),
    ("DEF_30_CNT_SOCIAL_CIRCLE", "social_circle", "count", "Proches en retard (30 jours)",
     "Acquaintances 30 days late",
     "Nombre de proches du client ayant eu au moins 30 jours de retard de paiement.",
     "How many of the client's acquaintances were at least 30 days late on a payment.", ""),
    ("DEF_60_CNT_SOCIAL_CIRCLE", "social_circle", "count", "Proches en retard (60 jours)",
     "Acquaintances 60 days late",
     "Nombre de proches du client ayant eu au moins 60 jours de retard de paiement.",
     "How many of the client's acquaintances were at least 60 days late on a payment.", ""),
    # documents
    ("FLAG_DOCUMENT_3", "documents", "flag", "Justificatif principal fourni", "Main document provided",
     "Le client a fourni la pièce justificative la plus couramment demandée.",
     "The client provided the most commonly requested supporting document.", "a"),
    ("DOCUMENT_COUNT", "documents", "count", "Nombre de justificatifs", "Documents provided",
     "Nombre de pièces justificatives fournies avec la demande.",
     "Number of supporting documents provided with the application.", "a"),
    ("ID_PUBLISH_YEARS", "documents", "years", "Ancienneté de la pièce d'identité",
     "Age of the ID document", "Années écoulées depuis la délivrance de la pièce d'identité actuelle.",
     "Years since the client's current identity document was issued.", ""),
]

# Regional address checks: (name, FR description, EN description) - all "contact_region" flags.
_ADDRESS_FLAGS = (
    ("REG_REGION_NOT_LIVE_REGION", "Région déclarée ≠ région de résidence",
     "Registered region ≠ home region", "l'adresse déclarée", "la résidence", "région",
     "the registered address", "home", "region"),
    ("REG_REGION_NOT_WORK_REGION", "Région déclarée ≠ région du travail",
     "Registered region ≠ work region", "l'adresse déclarée", "le lieu de travail", "région",
     "the registered address", "work", "region"),
    ("LIVE_REGION_NOT_WORK_REGION", "Région de résidence ≠ région du travail",
     "Home region ≠ work region", "la résidence", "le lieu de travail", "région",
     "home", "work", "region"),
    ("REG_CITY_NOT_LIVE_CITY", "Ville déclarée ≠ ville de résidence",
     "Registered city ≠ home city", "l'adresse déclarée", "la résidence", "ville",
     "the registered address", "home", "city"),
    ("REG_CITY_NOT_WORK_CITY", "Ville déclarée ≠ ville du travail",
     "Registered city ≠ work city", "l'adresse déclarée", "le lieu de travail", "ville",
     "the registered address", "work", "city"),
    ("LIVE_CITY_NOT_WORK_CITY", "Ville de résidence ≠ ville du travail",
     "Home city ≠ work city", "la résidence", "le lieu de travail", "ville",
     "home", "work", "city"),
)

# Building descriptors (*_AVG): (raw stem, FR phrase, EN noun).
_BUILDING = (
    ("APARTMENTS", "la taille des appartements", "apartment size"),
    ("BASEMENTAREA", "la surface des sous-sols", "basement area"),
    ("YEARS_BEGINEXPLUATATION", "l'ancienneté de mise en service", "time in use"),
    ("YEARS_BUILD", "l'âge de construction", "construction age"),
    ("COMMONAREA", "la surface des parties communes", "common area"),
    ("ELEVATORS", "le nombre d'ascenseurs", "number of elevators"),
    ("ENTRANCES", "le nombre d'entrées", "number of entrances"),
    ("FLOORSMAX", "le nombre d'étages (maximum)", "number of floors (maximum)"),
    ("FLOORSMIN", "le nombre d'étages (minimum)", "number of floors (minimum)"),
    ("LANDAREA", "la surface du terrain", "land area"),
    ("LIVINGAPARTMENTS", "le nombre de logements habitables", "number of living units"),
    ("LIVINGAREA", "la surface habitable", "living area"),
    ("NONLIVINGAPARTMENTS", "le nombre de locaux non habitables", "number of non-living units"),
    ("NONLIVINGAREA", "la surface non habitable", "non-living area"),
)

# Credit-bureau enquiries before the application: (suffix, FR label, EN label, FR period, EN period).
_BUREAU_REQUESTS = (
    ("HOUR", "dernière heure", "last hour", "l'heure", "hour"),
    ("DAY", "dernier jour", "last day", "le jour", "day"),
    ("WEEK", "dernière semaine", "last week", "la semaine", "week"),
    ("MON", "dernier mois", "last month", "le mois", "month"),
    ("QRT", "dernier trimestre", "last quarter", "le trimestre", "quarter"),
    ("YEAR", "dernière année", "last year", "l'année", "year"),
)

# History aggregates. The FR/EN scope sentences tell a non-expert where the figure comes from.
_SCOPE = {
    "bureau": ("d'après les crédits déclarés par les autres établissements",
               "from the credits reported by other lenders"),
    "previous_application": ("d'après ses demandes de crédit précédentes chez nous",
                             "from the client's previous credit applications with us"),
    "POS_CASH_balance": ("d'après les relevés mensuels de ses anciens prêts chez nous",
                         "from the monthly statements of the client's past loans with us"),
    "installments_payments": ("d'après ses paiements d'échéances passés chez nous",
                              "from the client's past instalment payments with us"),
    "credit_card_balance": ("d'après les relevés mensuels de ses cartes de crédit chez nous",
                            "from the monthly statements of the client's credit cards with us"),
}

# name, table, group, unit, label FR, label EN, what it measures FR, EN, flags
_HISTORY: list[tuple[str, str, str, str, str, str, str, str, str]] = [
    ("BUREAU_COUNT", "bureau", "bureau_history", "count", "Crédits ailleurs",
     "Credits with other lenders", "Nombre de crédits du client", "Number of the client's credits", ""),
    ("BUREAU_ACTIVE_COUNT", "bureau", "bureau_history", "count", "Crédits en cours ailleurs",
     "Open credits elsewhere", "Nombre de crédits encore en cours", "Number of credits still open", ""),
    ("BUREAU_CLOSED_COUNT", "bureau", "bureau_history", "count", "Crédits soldés ailleurs",
     "Closed credits elsewhere", "Nombre de crédits remboursés et clôturés",
     "Number of credits repaid and closed", ""),
    ("BUREAU_CREDIT_SUM", "bureau", "bureau_history", "currency", "Montant total emprunté ailleurs",
     "Total borrowed elsewhere", "Somme des montants de tous ses crédits",
     "Sum of the amounts of all the client's credits", ""),
    ("BUREAU_DEBT_SUM", "bureau", "bureau_history", "currency", "Dette totale ailleurs",
     "Total debt elsewhere", "Somme restant due sur l'ensemble de ses crédits",
     "Amount still owed over all the client's credits", "a"),
    ("BUREAU_DEBT_MEAN", "bureau", "bureau_history", "currency", "Dette moyenne par crédit ailleurs",
     "Average debt per credit elsewhere", "Montant moyen restant dû par crédit",
     "Average amount still owed per credit", "a"),
    ("BUREAU_ACTIVE_DEBT_SUM", "bureau", "bureau_history", "currency", "Dette en cours ailleurs",
     "Open debt elsewhere", "Somme restant due sur ses crédits en cours",
     "Amount still owed on the client's open credits", "a"),
    ("BUREAU_ACTIVE_DEBT_CREDIT_RATIO", "bureau", "bureau_history", "percent",
     "Part restant due des crédits en cours", "Share still owed on open credits",
     "Part des montants empruntés encore à rembourser sur les crédits en cours",
     "Share of the amounts borrowed on open credits that is still to be repaid", "a"),
    ("BUREAU_OVERDUE_SUM", "bureau", "repayment_behaviour", "currency", "Impayés actuels ailleurs",
     "Current arrears elsewhere", "Montant actuellement en retard de paiement",
     "Amount currently overdue", "a"),
    ("BUREAU_MAX_OVERDUE", "bureau", "repayment_behaviour", "currency", "Plus gros impayé ailleurs",
     "Largest arrears elsewhere", "Plus gros montant jamais resté impayé sur un crédit",
     "Largest amount ever left overdue on one credit", "a"),
    ("BUREAU_DAYS_OVERDUE_MAX", "bureau", "repayment_behaviour", "days", "Retard actuel ailleurs",
     "Current delay elsewhere", "Plus long retard de paiement en cours, en jours",
     "Longest payment delay currently running, in days", "a"),
    ("BUREAU_PROLONG_SUM", "bureau", "bureau_history", "count", "Prolongations de crédits ailleurs",
     "Credit extensions elsewhere", "Nombre de fois où un crédit a été prolongé",
     "Number of times a credit was extended", ""),
    ("BUREAU_DAYS_SINCE_LAST_CREDIT", "bureau", "bureau_history", "days",
     "Dernier crédit ailleurs (jours)", "Last credit elsewhere (days ago)",
     "Nombre de jours écoulés depuis l'ouverture de son crédit le plus récent",
     "Days since the client's most recent credit was opened", ""),
    ("BUREAU_BALANCE_MONTHS", "bureau", "bureau_history", "months", "Historique mensuel ailleurs",
     "Monthly history elsewhere", "Nombre de mois de relevés disponibles sur ses crédits",
     "Number of monthly statements available on the client's credits", ""),
    ("BUREAU_LATE_MONTHS_SHARE", "bureau", "repayment_behaviour", "percent",
     "Mois en retard ailleurs", "Late months elsewhere",
     "Part des mois relevés où un paiement était en retard",
     "Share of the recorded months with a late payment", "a"),
    ("BUREAU_WORST_STATUS", "bureau", "repayment_behaviour", "count", "Pire niveau de retard ailleurs",
     "Worst delay level elsewhere",
     "Pire niveau de retard mensuel constaté, de 0 (à jour) à 5 (plus de quatre mois)",
     "Worst monthly delay level seen, from 0 (up to date) to 5 (over four months)", "a"),
    ("PREV_COUNT", "previous_application", "previous_applications", "count", "Demandes précédentes",
     "Previous applications", "Nombre total de demandes",
     "Total number of applications", ""),
    ("PREV_APPROVED_COUNT", "previous_application", "previous_applications", "count",
     "Demandes précédentes acceptées", "Previous applications approved",
     "Nombre de demandes acceptées", "Number of applications approved", ""),
    ("PREV_REFUSED_COUNT", "previous_application", "previous_applications", "count",
     "Demandes précédentes refusées", "Previous applications refused",
     "Nombre de demandes refusées", "Number of applications refused", ""),
    ("PREV_APPROVED_SHARE", "previous_application", "previous_applications", "percent",
     "Taux d'acceptation passé", "Past approval rate", "Part des demandes acceptées",
     "Share of applications approved", ""),
    ("PREV_REFUSED_SHARE", "previous_application", "previous_applications", "percent",
     "Taux de refus passé", "Past refusal rate", "Part des demandes refusées",
     "Share of applications refused", ""),
    ("PREV_ASKED_MEAN", "previous_application", "previous_applications", "currency",
     "Montant demandé en moyenne", "Average amount asked", "Montant moyen demandé",
     "Average amount asked for", ""),
    ("PREV_CREDIT_MEAN", "previous_application", "previous_applications", "currency",
     "Montant accordé en moyenne", "Average amount granted", "Montant moyen finalement proposé",
     "Average amount finally offered", ""),
    ("PREV_GRANTED_ASKED_RATIO", "previous_application", "previous_applications", "ratio",
     "Accordé / demandé", "Granted / asked", "Montant proposé rapporté au montant demandé, en moyenne",
     "Amount offered divided by amount asked, on average", ""),
    ("PREV_ANNUITY_MEAN", "previous_application", "previous_applications", "currency",
     "Échéance passée moyenne", "Average past instalment", "Montant moyen des échéances",
     "Average instalment amount", ""),
    ("PREV_TERM_MEAN", "previous_application", "previous_applications", "months",
     "Durée passée moyenne", "Average past term", "Durée moyenne des crédits, en mois",
     "Average credit term, in months", ""),
    ("PREV_DOWN_PAYMENT_RATE_MEAN", "previous_application", "previous_applications", "percent",
     "Apport personnel moyen", "Average down payment", "Part moyenne payée comptant à l'achat",
     "Average share paid upfront at purchase", ""),
    ("PREV_DAYS_SINCE_LAST_DECISION", "previous_application", "previous_applications", "days",
     "Dernière demande (jours)", "Last application (days ago)",
     "Nombre de jours depuis la décision sur sa dernière demande",
     "Days since the decision on the client's latest application", ""),
    ("PREV_END_SHIFT_DAYS_MEAN", "previous_application", "previous_applications", "days",
     "Écart de fin de crédit", "Credit end shift",
     "Écart moyen en jours entre la fin réelle et la fin prévue des crédits (négatif = fin anticipée)",
     "Average gap in days between actual and planned credit end (negative = ended early)", ""),
    ("POS_MONTHS", "POS_CASH_balance", "repayment_behaviour", "months", "Mois de prêts suivis",
     "Months of loans tracked", "Nombre de mois enregistrés",
     "Number of months recorded", ""),
    ("POS_LOAN_COUNT", "POS_CASH_balance", "repayment_behaviour", "count", "Prêts suivis",
     "Loans tracked", "Nombre de prêts distincts suivis", "Number of distinct loans tracked", ""),
    ("POS_COMPLETED_COUNT", "POS_CASH_balance", "repayment_behaviour", "count", "Prêts menés à terme",
     "Loans completed", "Nombre de prêts entièrement remboursés", "Number of loans fully repaid", ""),
    ("POS_DPD_MEAN", "POS_CASH_balance", "repayment_behaviour", "days", "Retard moyen sur prêts",
     "Average delay on loans", "Retard de paiement moyen par mois, en jours",
     "Average payment delay per month, in days", "a"),
    ("POS_DPD_MAX", "POS_CASH_balance", "repayment_behaviour", "days", "Plus long retard sur prêts",
     "Longest delay on loans", "Plus long retard de paiement, en jours",
     "Longest payment delay, in days", "a"),
    ("POS_LATE_MONTHS_SHARE", "POS_CASH_balance", "repayment_behaviour", "percent",
     "Mois en retard sur prêts", "Late months on loans", "Part des mois avec un paiement en retard",
     "Share of months with a late payment", "a"),
    ("INST_COUNT", "installments_payments", "repayment_behaviour", "count", "Paiements d'échéances",
     "Instalment payments", "Nombre de paiements d'échéances enregistrés",
     "Number of instalment payments recorded", ""),
    ("INST_LATE_DAYS_MEAN", "installments_payments", "repayment_behaviour", "days",
     "Décalage moyen de paiement", "Average payment lag",
     "Écart moyen en jours entre paiement et date d'échéance (négatif = payé en avance)",
     "Average gap in days between payment and due date (negative = paid early)", "a"),
    ("INST_LATE_DAYS_MAX", "installments_payments", "repayment_behaviour", "days",
     "Plus gros retard d'échéance", "Longest instalment delay",
     "Plus grand retard en jours d'un paiement par rapport à son échéance",
     "Longest delay in days of a payment after its due date", "a"),
    ("INST_LATE_SHARE", "installments_payments", "repayment_behaviour", "percent",
     "Échéances payées en retard", "Instalments paid late", "Part des paiements faits après l'échéance",
     "Share of payments made after the due date", "a"),
    ("INST_SHORT_SHARE", "installments_payments", "repayment_behaviour", "percent",
     "Échéances payées partiellement", "Instalments underpaid",
     "Part des paiements inférieurs au montant dû", "Share of payments below the amount due", "a"),
    ("INST_PAID_DUE_RATIO", "installments_payments", "repayment_behaviour", "percent",
     "Part des échéances payée", "Share of instalments paid", "Total payé rapporté au total dû",
     "Total paid divided by total due", "a"),
    ("INST_UNPAID_SUM", "installments_payments", "repayment_behaviour", "currency",
     "Montant d'échéances impayé", "Unpaid instalment amount",
     "Somme des montants dus non payés", "Sum of the amounts due that were not paid", "a"),
    ("CC_MONTHS", "credit_card_balance", "credit_cards", "months", "Mois de carte de crédit",
     "Credit card months", "Nombre de mois enregistrés", "Number of months recorded", ""),
    ("CC_BALANCE_MEAN", "credit_card_balance", "credit_cards", "currency", "Solde moyen de carte",
     "Average card balance", "Solde moyen de la carte", "Average card balance", "a"),
    ("CC_LIMIT_MAX", "credit_card_balance", "credit_cards", "currency", "Plafond de carte",
     "Card limit", "Plus haut plafond de carte accordé", "Highest card limit granted", ""),
    ("CC_UTILISATION_MEAN", "credit_card_balance", "credit_cards", "percent",
     "Utilisation moyenne de carte", "Average card utilisation",
     "Part moyenne du plafond utilisée", "Average share of the limit used", "a"),
    ("CC_UTILISATION_MAX", "credit_card_balance", "credit_cards", "percent",
     "Utilisation maximale de carte", "Peak card utilisation",
     "Plus forte part du plafond utilisée sur un mois", "Highest share of the limit used in a month", "a"),
    ("CC_DRAWINGS_MEAN", "credit_card_balance", "credit_cards", "currency",
     "Dépenses mensuelles par carte", "Monthly card spending", "Montant moyen dépensé par mois",
     "Average amount spent per month", "a"),
    ("CC_ATM_DRAWINGS_MEAN", "credit_card_balance", "credit_cards", "currency",
     "Retraits mensuels par carte", "Monthly card withdrawals",
     "Montant moyen retiré au distributeur par mois", "Average amount withdrawn at cash machines per month",
     "a"),
    ("CC_DPD_MAX", "credit_card_balance", "credit_cards", "days", "Plus long retard sur carte",
     "Longest card delay", "Plus long retard de paiement, en jours", "Longest payment delay, in days", "a"),
    ("CC_LATE_MONTHS_SHARE", "credit_card_balance", "credit_cards", "percent",
     "Mois en retard sur carte", "Late months on card", "Part des mois avec un paiement en retard",
     "Share of months with a late payment", "a"),
]

_CROSS: list[_Row] = [
    ("BUREAU_DEBT_INCOME_RATIO", "bureau_history", "ratio", "Dette ailleurs / revenu",
     "Debt elsewhere / income",
     "Dette en cours auprès d'autres établissements rapportée au revenu annuel.",
     "Open debt with other lenders divided by annual income.", "a"),
    ("TOTAL_DEBT_INCOME_RATIO", "credit_asked", "ratio", "Endettement total / revenu",
     "Total debt / income",
     "Dette en cours ailleurs plus le crédit demandé, rapportées au revenu annuel.",
     "Open debt elsewhere plus the credit requested, divided by annual income.", "a"),
]


def _info(name: str, table: str, group: str, unit: str, lfr: str, len_: str, dfr: str, den: str,
          flags: str) -> FeatureInfo:
    return FeatureInfo(name, table, group, lfr, len_, dfr, den, unit, UNIT_FMT[unit],
                       editable="e" in flags, actionable="a" in flags, protected="p" in flags,
                       excluded_by_policy="x" in flags)


def _generated() -> Iterable[FeatureInfo]:
    for name, group, unit, lfr, len_, dfr, den, flags in _APPLICATION:
        yield _info(name, "application", group, unit, lfr, len_, dfr, den, flags)
    for i in (1, 2, 3):
        yield _info(f"EXT_SOURCE_{i}", "application", "external_scores", "score",
                    f"Score externe n° {i}", f"External score #{i}",
                    f"Score de solvabilité n° {i} fourni par une source extérieure (plus haut = plus favorable).",
                    f"Creditworthiness score #{i} from an outside source (higher is more favourable).", "")
    for name, lfr, len_, a_fr, b_fr, scope_fr, a_en, b_en, scope_en in _ADDRESS_FLAGS:
        yield _info(name, "application", "contact_region", "flag", lfr, len_,
                    f"Indique que {a_fr} et {b_fr} du client ne sont pas dans la même {scope_fr}.",
                    f"Shows that the client's {a_en} and {b_en} are not in the same {scope_en}."
                    .replace("client's the registered address", "client's registered address"), "")
    for stem, phrase_fr, noun_en in _BUILDING:
        noun_fr = phrase_fr.split(" ", 1)[1] if phrase_fr.startswith(("la ", "le ")) else phrase_fr[2:]
        yield _info(f"{stem}_AVG", "application", "housing", "number",
                    f"Immeuble : {noun_fr}", f"Building: {noun_en}",
                    f"Indice normalisé entre 0 et 1 décrivant {phrase_fr} de l'immeuble du client "
                    "(souvent non renseigné).",
                    f"Normalised index between 0 and 1 describing the {noun_en} of the client's building "
                    "(often not provided).", "")
    for suffix, lfr, len_, period_fr, period_en in _BUREAU_REQUESTS:
        yield _info(f"AMT_REQ_CREDIT_BUREAU_{suffix}", "application", "bureau_history", "count",
                    f"Consultations du bureau de crédit ({lfr})", f"Credit bureau enquiries ({len_})",
                    f"Nombre de consultations du dossier du client auprès du bureau de crédit dans "
                    f"{period_fr} précédant la demande.",
                    f"Number of credit bureau enquiries about the client in the {period_en} before "
                    "the application.", "")
    for name, table, group, unit, lfr, len_, what_fr, what_en, flags in _HISTORY:
        scope_fr, scope_en = _SCOPE[table]
        yield _info(name, table, group, unit, lfr, len_,
                    f"{what_fr}, {scope_fr} (vide si aucun historique).",
                    f"{what_en}, {scope_en} (empty when there is no history).", flags)
    for name, group, unit, lfr, len_, dfr, den, flags in _CROSS:
        yield _info(name, "application+bureau", group, unit, lfr, len_, dfr, den, flags)


#: Number formats that differ from their unit's default.
_FMT_OVERRIDES = {"AGE_YEARS": ".0f", "OWN_CAR_AGE": ".0f", "REGION_POPULATION_RELATIVE": ".3f"}

#: name -> FeatureInfo, for every feature column of the feature table.
CATALOGUE: dict[str, FeatureInfo] = {
    i.name: replace(i, fmt=_FMT_OVERRIDES.get(i.name, i.fmt)) for i in _generated()
}

# Count columns are 0 (not empty) when there is no history: fix their descriptions.
_COUNT_COLUMNS = ("BUREAU_COUNT", "PREV_COUNT", "POS_MONTHS", "INST_COUNT", "CC_MONTHS",
                  "BUREAU_ACTIVE_COUNT", "BUREAU_CLOSED_COUNT", "BUREAU_BALANCE_MONTHS",
                  "PREV_APPROVED_COUNT", "PREV_REFUSED_COUNT", "POS_LOAN_COUNT", "POS_COMPLETED_COUNT")
for _name in _COUNT_COLUMNS:
    _i = CATALOGUE[_name]
    CATALOGUE[_name] = replace(
        _i,
        description_fr=_i.description_fr.replace("(vide si aucun historique)", "(0 si aucun historique)"),
        description_en=_i.description_en.replace(
            "(empty when there is no history)", "(0 when there is no history)"),
    )


# --------------------------------------------------------------------------------------------
# Protected groupings and the policy on protected inputs
#
# A French lender may not set credit terms by gender (EU directive 2004/113/EC on equal
# treatment in access to goods and services): CODE_GENDER is flagged "x" above, so training
# leaves it out of the model's inputs unless `train --keep-protected` (for comparison only),
# and the fairness checks (scoring.monitoring) compare the groupings below instead.
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProtectedGrouping:
    """A way to split clients into groups the fairness checks compare."""

    key: str
    column: str  # the feature column that defines the groups
    label_fr: str
    label_en: str
    bands: tuple[float, ...] = ()  # numeric column: inner band edges; empty for a categorical column

    def label(self, lang: str = "fr") -> str:
        return self.label_fr if _lang(lang) == "fr" else self.label_en


#: Every grouping the fairness checks report, in display order (add one here and it is reported).
PROTECTED_GROUPINGS: tuple[ProtectedGrouping, ...] = (
    ProtectedGrouping("gender", "CODE_GENDER", "Genre", "Gender"),
    ProtectedGrouping("age_band", "AGE_YEARS", "Tranche d'âge", "Age band", (25, 35, 45, 55, 65)),
    ProtectedGrouping("family_status", "NAME_FAMILY_STATUS", "Situation familiale", "Family status"),
)


def excluded_inputs() -> tuple[str, ...]:
    """Feature columns the model must not use by default (flag "x"), in catalogue order."""
    return tuple(name for name, entry in CATALOGUE.items() if entry.excluded_by_policy)


def band_label(column: str, lo: float | None, hi: float | None, lang: str = "fr") -> str:
    """A band [lo, hi) of a numeric grouping in words: "moins de 25 ans", "de 25 à 34 ans",
    "65 ans et plus" / "under 25 years", "25 to 34 years", "65 years and over"."""
    lang = _lang(lang)
    if lo is None and hi is None:
        return "tous" if lang == "fr" else "all"
    if lo is None:
        return f"moins de {format_value(column, hi, lang)}" if lang == "fr" else \
            f"under {format_value(column, hi, lang)}"
    if hi is None:
        return f"{format_value(column, lo, lang)} et plus" if lang == "fr" else \
            f"{format_value(column, lo, lang)} and over"
    low = format_number(lo, ".0f", lang)
    return f"de {low} à {format_value(column, hi - 1, lang)}" if lang == "fr" else \
        f"{low} to {format_value(column, hi - 1, lang)}"


# --------------------------------------------------------------------------------------------
# Category labels (French display of the raw English category values)
# --------------------------------------------------------------------------------------------
CATEGORY_LABELS_FR: dict[str, dict[str, str]] = {
    "NAME_CONTRACT_TYPE": {"Cash loans": "Prêt personnel", "Revolving loans": "Crédit renouvelable"},
    "CODE_GENDER": {"F": "Femme", "M": "Homme", "XNA": "Non précisé"},
    "FLAG_OWN_CAR": {"Y": "Oui", "N": "Non"},
    "FLAG_OWN_REALTY": {"Y": "Oui", "N": "Non"},
    "NAME_INCOME_TYPE": {
        "Working": "Salarié", "Commercial associate": "Associé commercial", "Pensioner": "Retraité",
        "State servant": "Fonctionnaire", "Unemployed": "Sans emploi", "Student": "Étudiant",
        "Businessman": "Chef d'entreprise", "Maternity leave": "Congé maternité",
    },
    "NAME_EDUCATION_TYPE": {
        "Secondary / secondary special": "Secondaire", "Higher education": "Supérieur",
        "Incomplete higher": "Supérieur non terminé", "Lower secondary": "Premier cycle du secondaire",
        "Academic degree": "Diplôme universitaire de recherche",
    },
    "NAME_FAMILY_STATUS": {
        "Married": "Marié(e)", "Single / not married": "Célibataire", "Civil marriage": "Union civile",
        "Separated": "Séparé(e)", "Widow": "Veuf / veuve", "Unknown": "Inconnue",
    },
    "NAME_HOUSING_TYPE": {
        "House / apartment": "Maison / appartement", "With parents": "Chez les parents",
        "Municipal apartment": "Logement social", "Rented apartment": "Location",
        "Office apartment": "Logement de fonction", "Co-op apartment": "Coopérative d'habitation",
    },
    "OCCUPATION_TYPE": {
        "Laborers": "Ouvriers", "Sales staff": "Vente", "Core staff": "Personnel qualifié",
        "Managers": "Cadres", "Drivers": "Chauffeurs", "High skill tech staff": "Techniciens qualifiés",
        "Accountants": "Comptables", "Medicine staff": "Personnel médical",
        "Security staff": "Sécurité", "Cooking staff": "Cuisine", "Cleaning staff": "Nettoyage",
        "Private service staff": "Services à la personne", "Low-skill Laborers": "Ouvriers non qualifiés",
        "Waiters/barmen staff": "Serveurs / barmen", "Secretaries": "Secrétariat",
        "Realty agents": "Agents immobiliers", "HR staff": "Ressources humaines",
        "IT staff": "Informatique",
    },
    "NAME_TYPE_SUITE": {
        "Unaccompanied": "Seul(e)", "Family": "Famille", "Spouse, partner": "Conjoint(e)",
        "Children": "Enfants", "Other_A": "Autre (A)", "Other_B": "Autre (B)",
        "Group of people": "Groupe de personnes",
    },
    "HOUSETYPE_MODE": {
        "block of flats": "Immeuble", "specific housing": "Logement spécifique",
        "terraced house": "Maison mitoyenne",
    },
    "EMERGENCYSTATE_MODE": {"No": "Non", "Yes": "Oui"},
}
CATEGORY_LABELS_EN: dict[str, dict[str, str]] = {
    "FLAG_OWN_CAR": {"Y": "Yes", "N": "No"},
    "FLAG_OWN_REALTY": {"Y": "Yes", "N": "No"},
    "CODE_GENDER": {"F": "Female", "M": "Male", "XNA": "Not stated"},
    "NAME_CONTRACT_TYPE": {"Cash loans": "Cash loan", "Revolving loans": "Revolving credit"},
    "NAME_EDUCATION_TYPE": {"Secondary / secondary special": "Secondary"},
}


#: Categories with a natural order, listed in that order (lowest first) rather than alphabetically.
CATEGORY_ORDER: dict[str, tuple[str, ...]] = {
    "NAME_EDUCATION_TYPE": ("Lower secondary", "Secondary / secondary special", "Incomplete higher",
                            "Higher education", "Academic degree"),
}


def ordered_categories(name: str, values: Iterable[str]) -> tuple[str, ...]:
    """`values` in the feature's natural order when it has one (unknown values last), else sorted."""
    present = set(values)
    order = [v for v in CATEGORY_ORDER.get(name, ()) if v in present]
    return (*order, *sorted(present - set(order)))


def category_label(name: str, value: str, lang: str = "fr") -> str:
    """Readable label of a category value (the raw value when no translation is known)."""
    table = CATEGORY_LABELS_FR if lang == "fr" else CATEGORY_LABELS_EN
    return table.get(name, {}).get(value, value)


# --------------------------------------------------------------------------------------------
# Look-ups and formatting
# --------------------------------------------------------------------------------------------

def _lang(lang: str) -> str:
    if lang not in ("fr", "en"):
        raise ValueError(f"unsupported language {lang!r} (expected 'fr' or 'en')")
    return lang


def entries() -> list[FeatureInfo]:
    """Every catalogue entry, in catalogue order."""
    return list(CATALOGUE.values())


def info(name: str) -> FeatureInfo:
    """The entry of one feature column (KeyError naming the column when absent)."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise KeyError(f"feature {name!r} has no catalogue entry") from None


def missing_entries(columns: Iterable[str]) -> list[str]:
    """Feature columns without a catalogue entry (identifier columns are ignored)."""
    ids = {"SK_ID_CURR", "TARGET", "SAMPLE"}
    return [c for c in columns if c not in CATALOGUE and c not in ids]


def label(name: str, lang: str = "fr") -> str:
    """Short readable label; a raw field or unknown column falls back to its name."""
    entry = CATALOGUE.get(name)
    if entry is None:
        raw = RAW_FIELDS.get(name)
        if raw is None:
            return name
        return raw.label_fr if _lang(lang) == "fr" else raw.label_en
    return entry.label_fr if _lang(lang) == "fr" else entry.label_en


def description(name: str, lang: str = "fr") -> str:
    entry = info(name)
    return entry.description_fr if _lang(lang) == "fr" else entry.description_en


def group_of(name: str) -> str:
    return info(name).group


def group_label(group: str, lang: str = "fr") -> str:
    fr, en = GROUPS[group]
    return fr if _lang(lang) == "fr" else en


def _is_missing(value: Any) -> bool:
    return formatting.is_missing(value)


_FMT_SPEC = re.compile(r"^(?P<group>,?)(?:\.(?P<digits>\d+))?[fgd]?$")


def _spec(fmt: str) -> tuple[int | None, bool]:
    """(decimals, grouping) of a format spec such as ",.0f"; decimals None for "" / "g"."""
    match = _FMT_SPEC.match(fmt)
    if match is None:
        raise ValueError(f"unsupported number format {fmt!r}")
    digits = match.group("digits")
    return (int(digits) if digits is not None and fmt.endswith(("f", "d")) else None,
            bool(match.group("group")))


def format_number(value: float, fmt: str, lang: str = "fr") -> str:
    """`value` with the decimals and grouping of `fmt` (",.0f"...), localised by Babel (see
    `scoring.text.formatting`): FR `12 345,5` (narrow no-break space), EN `12,345.5`."""
    digits, grouping = _spec(fmt)
    if digits is None:  # "" / "g": up to three decimals, as CLDR's default pattern
        return formatting.format_number(value, _lang(lang), 3, min_digits=0, grouping=grouping)
    return formatting.format_number(value, _lang(lang), digits, grouping=grouping)


def _plural(value: float, fr: tuple[str, str], en: tuple[str, str], lang: str) -> str:
    if lang == "fr":
        return fr[0] if abs(value) < 2 else fr[1]
    return en[0] if abs(value) == 1 else en[1]


_UNIT_WORDS = {
    "years": (("an", "ans"), ("year", "years")),
    "months": (("mois", "mois"), ("month", "months")),
    "days": (("jour", "jours"), ("day", "days")),
}


def format_value(name: str, value: Any, lang: str = "fr") -> str:
    """A value as an advisor reads it: `12 345 €`, `0,35`, `45 ans`, `35 %` (FR) or the EN forms.

    `name` is a feature column or a raw field; None/NaN gives "non renseigné" / "not provided".
    """
    lang = _lang(lang)
    if _is_missing(value):
        return formatting.missing_text(lang)
    entry = CATALOGUE.get(name)
    if entry is not None:
        unit, fmt = entry.unit, entry.fmt
    elif name in RAW_FIELDS:
        unit, fmt = RAW_FIELDS[name].unit, UNIT_FMT[RAW_FIELDS[name].unit]
    else:
        unit, fmt = "number", UNIT_FMT["number"]
    if unit == "flag":
        if isinstance(value, str):
            return category_label(name, value, lang) if name in CATEGORY_LABELS_FR else value
        yes = bool(value)
        return ("oui" if yes else "non") if lang == "fr" else ("yes" if yes else "no")
    if unit == "category" or isinstance(value, str):
        return category_label(name, str(value), lang)
    number = float(value)
    digits, grouping = _spec(fmt)
    if unit == "currency":
        return formatting.format_currency(number, lang, digits or 0)
    if unit == "percent":
        pct_digits = 1 if 0 < abs(number * 100.0) < 10 else digits or 0
        return formatting.format_percent(number, lang, pct_digits, min_digits=0)
    if unit in _UNIT_WORDS:
        text = formatting.format_number(number, lang, digits or 0, min_digits=0, grouping=grouping)
        fr_words, en_words = _UNIT_WORDS[unit]
        shown = float(format(number, fmt.replace(",", "")))
        return f"{text} {_plural(shown, fr_words, en_words, lang)}"
    return format_number(number, fmt, lang)


# --------------------------------------------------------------------------------------------
# Editable raw fields (what-if form, API validation)
#
# Overrides travel in RAW units (the application_train column values: DAYS_EMPLOYED in negative
# days, 365243 = no current job) so they can be merged into a raw record as they are. The form
# shows DISPLAY units (years of employment): `RawField.from_raw` / `to_raw` convert, and
# `minimum` / `maximum` are display-unit limits (`raw_min` / `raw_max` give raw ones when the
# conversion keeps them meaningful).
# --------------------------------------------------------------------------------------------

def _identity(value: Any) -> Any:
    return value


def _years_to_days_employed(years: Any) -> Any:
    """Years of employment -> DAYS_EMPLOYED (negative days; None -> the 'no current job' code)."""
    if years is None:
        return DAYS_NOT_APPLICABLE
    return -int(round(float(years) * YEAR_DAYS))


def _days_employed_to_years(days: Any) -> Any:
    """DAYS_EMPLOYED -> years of employment (None for the 'no current job' code)."""
    if days is None or days == DAYS_NOT_APPLICABLE:
        return None
    return -float(days) / YEAR_DAYS


def _to_float(value: Any) -> Any:
    return None if value is None else float(value)


@dataclass(frozen=True)
class RawField:
    """A raw application field an advisor may edit (limits in display units)."""

    name: str  # raw application column
    label_fr: str
    label_en: str
    kind: str  # display kind: "int" | "float" | "category"
    unit: str  # key of UNITS (display unit)
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] = ()
    required: bool = True  # the raw value may not be null
    feature: str = ""  # the feature column that shows it
    raw_kind: str = "float"  # schema kind of the raw column: "int" | "float" | "str"
    to_raw: Callable[[Any], Any] = field(default=_identity, compare=False, repr=False)
    from_raw: Callable[[Any], Any] = field(default=_identity, compare=False, repr=False)

    @property
    def label(self) -> tuple[str, str]:
        """(FR, EN) label."""
        return self.label_fr, self.label_en

    @property
    def converts(self) -> bool:
        """True when display and raw units differ."""
        return self.to_raw is not _identity and self.to_raw is not _to_float

    @property
    def raw_min(self) -> float | None:
        """Lower limit in raw units (None when the conversion makes a raw range meaningless)."""
        return None if self.converts else self.minimum

    @property
    def raw_max(self) -> float | None:
        return None if self.converts else self.maximum


def _raw_field(name: str, kind: str, unit: str, lo: float | None = None, hi: float | None = None,
               *, feature: str | None = None, to_raw: Callable[[Any], Any] = _identity,
               from_raw: Callable[[Any], Any] = _identity) -> RawField:
    from scoring.data.schema import TABLES

    column = TABLES["application_train"].column(name)
    entry = CATALOGUE[feature or name]
    return RawField(name, entry.label_fr, entry.label_en, kind, unit, lo, hi,
                    column.categories or (), not column.nullable, entry.name, column.kind,
                    to_raw, from_raw)


#: Raw application fields the what-if form may edit, keyed by raw column name.
RAW_FIELDS: dict[str, RawField] = {
    f.name: f for f in (
        _raw_field("AMT_INCOME_TOTAL", "float", "currency", 1_000, 100_000_000),
        _raw_field("AMT_CREDIT", "float", "currency", 1_000, 10_000_000),
        _raw_field("AMT_ANNUITY", "float", "currency", 100, 1_000_000),
        _raw_field("AMT_GOODS_PRICE", "float", "currency", 0, 10_000_000),
        _raw_field("CNT_CHILDREN", "int", "count", 0, 20),
        _raw_field("CNT_FAM_MEMBERS", "int", "count", 1, 25, to_raw=_to_float),
        _raw_field("DAYS_EMPLOYED", "float", "years", 0, 60, feature="EMPLOYMENT_YEARS",
                   to_raw=_years_to_days_employed, from_raw=_days_employed_to_years),
        _raw_field("NAME_CONTRACT_TYPE", "category", "category"),
        _raw_field("NAME_EDUCATION_TYPE", "category", "category"),
        _raw_field("NAME_INCOME_TYPE", "category", "category"),
        _raw_field("NAME_HOUSING_TYPE", "category", "category"),
        _raw_field("NAME_FAMILY_STATUS", "category", "category"),
        _raw_field("FLAG_OWN_CAR", "category", "flag"),
        _raw_field("FLAG_OWN_REALTY", "category", "flag"),
        _raw_field("OCCUPATION_TYPE", "category", "category"),
    )
}

def raw_to_display(name: str, raw_value: Any) -> Any:
    """A raw column value in the field's display unit (e.g. DAYS_EMPLOYED -> years)."""
    return RAW_FIELDS[name].from_raw(raw_value)


#: Alias used by callers that look the catalogue up as `catalogue.FEATURES`.
FEATURES = CATALOGUE
