"""Concepts: the ideas an advisor can name in one sentence, each grouping several features.

A decision is explained by concepts, not by 130 features: "your external credit
scores", "the credit requested", "the way you repaid your past loans". Each
feature of the catalogue belongs to exactly one concept (a test checks it), so
a concept's contribution is the sum of its features' contributions and the
concepts add up to the whole score with nothing left over.

A concept is protected when its features are (age, gender, family situation):
it is shown in the full explanation, never given as a reason. Protected and
ordinary features never share a concept (a test checks that too), so an
ordinary reason can never carry a protected attribute's weight.

Each concept has two sentence templates per language, one for a concept that
pushes toward refusal and one for a strength; `{detail}` receives the
client's own value of the concept's most telling feature ("Échéances payées
en retard : 12 %"), formatted by `catalogue.format_value`.
"""

from __future__ import annotations

from dataclasses import dataclass

from scoring.text import catalogue


@dataclass(frozen=True)
class Concept:
    """One idea an advisor can say, with its two sentences in French and English."""

    key: str
    label_fr: str
    label_en: str
    against_fr: str  # the concept pushes toward refusal; "{detail}" = "label : value"
    against_en: str
    favour_fr: str  # the concept pushes toward acceptance (a strength)
    favour_en: str
    protected: bool = False


def _c(key: str, label_fr: str, label_en: str, subject_fr: str, subject_en: str,
       plural: str = "", protected: bool = False) -> Concept:
    """A concept whose sentences read "<subject> pèse(nt) contre votre demande (<detail>).";
    `plural` names the languages whose subject is plural ("fr", "fr en")."""
    weigh_fr, play_fr = ("pèsent", "jouent") if "fr" in plural else ("pèse", "joue")
    count_en = "count" if "en" in plural else "counts"
    return Concept(
        key, label_fr, label_en,
        f"{subject_fr} {weigh_fr} contre votre demande ({{detail}}).",
        f"{subject_en} {count_en} against your application ({{detail}}).",
        f"{subject_fr} {play_fr} en votre faveur ({{detail}}).",
        f"{subject_en} {count_en} in your favour ({{detail}}).",
        protected,
    )


#: Every concept, in the order the model card lists them.
CONCEPTS: dict[str, Concept] = {c.key: c for c in (
    _c("external_scores", "Scores de crédit externes", "External credit scores",
       "Vos scores de crédit fournis par des organismes extérieurs",
       "Your credit scores from outside agencies", plural="fr en"),
    _c("repayment", "Remboursement des crédits passés chez nous", "Repayment of past loans with us",
       "La façon dont vous avez remboursé vos crédits passés chez nous",
       "The way you repaid your past loans with us"),
    _c("credit_cards", "Cartes de crédit chez nous", "Credit cards with us",
       "L'utilisation et le remboursement de vos cartes de crédit chez nous",
       "How you used and repaid your credit cards with us", plural="fr"),
    _c("other_lenders", "Dettes et impayés auprès d'autres établissements",
       "Debts and arrears with other lenders",
       "Vos crédits, dettes et impayés auprès d'autres établissements",
       "Your credits, debts and arrears with other lenders", plural="fr en"),
    _c("past_applications", "Demandes précédentes et refus", "Past applications and refusals",
       "Vos demandes de crédit précédentes chez nous et leurs réponses",
       "Your previous credit applications with us and their outcomes", plural="fr en"),
    _c("credit_requested", "Crédit demandé", "Credit requested",
       "Le crédit demandé (montant, échéance, durée, prix du bien)",
       "The credit requested (amount, instalment, term, price of the goods)"),
    _c("income_employment", "Revenus, emploi et formation", "Income, employment and education",
       "Vos revenus, votre emploi et votre formation",
       "Your income, employment and education", plural="fr en"),
    _c("housing_region", "Logement, patrimoine et région", "Housing, assets and region",
       "Votre logement, votre patrimoine et votre région",
       "Your housing, assets and region", plural="fr en"),
    _c("application_file", "Pièces et coordonnées du dossier", "Documents and contact details",
       "Les pièces et coordonnées fournies avec votre dossier",
       "The documents and contact details given with your file", plural="fr en"),
    _c("social_circle", "Entourage", "Social circle",
       "L'historique de paiement de votre entourage",
       "The payment history of your social circle"),
    _c("age", "Âge", "Age", "Votre âge", "Your age", protected=True),
    _c("gender", "Genre", "Gender", "Votre genre", "Your gender", protected=True),
    _c("family", "Situation familiale", "Family situation",
       "Votre situation familiale", "Your family situation", protected=True),
)}

# Which concept a feature belongs to: its own entry first, then its source table, then its group.
_BY_FEATURE: dict[str, str] = {
    "CODE_GENDER": "gender",
    "AGE_YEARS": "age",
    "EMPLOYMENT_AGE_RATIO": "age",  # years in the job divided by age
    "NAME_FAMILY_STATUS": "family",
    "CNT_CHILDREN": "family",
    "CNT_FAM_MEMBERS": "family",
    "INCOME_PER_PERSON": "family",  # income divided by the household's size
    "NAME_TYPE_SUITE": "application_file",
    "NAME_EDUCATION_TYPE": "income_employment",
    "FLAG_WORK_PHONE": "application_file",
    "FLAG_PHONE": "application_file",
    "FLAG_EMAIL": "application_file",
    "REGISTRATION_YEARS": "application_file",
    "PHONE_CHANGE_YEARS": "application_file",
}
_BY_TABLE: dict[str, str] = {
    "bureau": "other_lenders",  # arrears reported by other lenders, whatever their group
}
_BY_GROUP: dict[str, str] = {
    "identity_family": "family",
    "income": "income_employment",
    "credit_asked": "credit_requested",
    "employment": "income_employment",
    "external_scores": "external_scores",
    "bureau_history": "other_lenders",
    "previous_applications": "past_applications",
    "repayment_behaviour": "repayment",
    "credit_cards": "credit_cards",
    "assets": "housing_region",
    "housing": "housing_region",
    "contact_region": "housing_region",
    "social_circle": "social_circle",
    "documents": "application_file",
}


def concept_of(feature: str) -> str:
    """The key of the one concept a catalogue feature belongs to (KeyError when unknown)."""
    if feature in _BY_FEATURE:
        return _BY_FEATURE[feature]
    entry = catalogue.info(feature)
    return _BY_TABLE.get(entry.source_table) or _BY_GROUP[entry.group]


def features_of(key: str) -> list[str]:
    """The catalogue features of a concept, in catalogue order."""
    return [name for name in catalogue.CATALOGUE if concept_of(name) == key]


def _lang(lang: str) -> str:
    if lang not in ("fr", "en"):
        raise ValueError(f"unsupported language {lang!r} (expected 'fr' or 'en')")
    return lang


def label(key: str, lang: str = "fr") -> str:
    concept = CONCEPTS[key]
    return concept.label_fr if _lang(lang) == "fr" else concept.label_en


def detail(feature: str, value: object, lang: str = "fr", display_value: str | None = None) -> str:
    """"Échéances payées en retard : 12 %" / "Instalments paid late: 12%" (a label holding a colon
    itself is quoted: "« Immeuble : surface du terrain » : non renseigné")."""
    shown = display_value if display_value is not None else catalogue.format_value(feature, value, lang)
    name = catalogue.label(feature, lang)
    if _lang(lang) == "fr":
        return f"« {name} » : {shown}" if ":" in name else f"{name} : {shown}"
    return f"“{name}”: {shown}" if ":" in name else f"{name}: {shown}"


def sentence(key: str, against: bool, detail_text: str, lang: str = "fr") -> str:
    """The concept's plain sentence for a client: toward refusal (`against`) or a strength."""
    concept = CONCEPTS[key]
    if _lang(lang) == "fr":
        template = concept.against_fr if against else concept.favour_fr
    else:
        template = concept.against_en if against else concept.favour_en
    return template.format(detail=detail_text)


#: Why scores are given in points (the model card shows it in the reader's language).
POINTS_NOTE = {
    "fr": ("Les scores sont en points, selon la convention des grilles de score de crédit : plus le score est "
           "élevé, plus le risque est faible ; 20 points de plus doublent les chances de remboursement ; "
           "600 points correspondent à une chance de 50 contre 1 (environ 2 % de défaut). L'échelle est fixe : "
           "un score désigne le même risque quelle que soit la version du modèle, et le seuil est donné dans les "
           "mêmes points (refus au seuil ou en dessous). Les points sont une transformation affine des log-odds "
           "calibrés du modèle : les points d'un thème (somme des valeurs SHAP de ses caractéristiques) "
           "s'additionnent exactement, avec le score de départ, au score du client. Les probabilités ne "
           "s'additionnent pas et les log-odds ne se lisent pas : les points font les deux."),
    "en": ("Scores are in points, the credit-scorecard convention: the higher the score, the lower the risk; "
           "20 more points double the odds of repaying; 600 points mean odds of 50 to 1 (about 2 % default). "
           "The scale is fixed: a score means the same risk whatever the model version, and the threshold is "
           "given in the same points (refused at or below it). Points are an affine map of the model's "
           "calibrated log-odds: a theme's points (the sum of its features' SHAP values) add up exactly, with "
           "the starting score, to the client's score. Probabilities do not add up and log-odds cannot be "
           "read: points do both."),
}
