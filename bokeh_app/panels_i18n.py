"""French (default) and English strings of the comparison, scatter, brushing and what-if panels.

Both languages carry exactly the same keys and placeholders (a test checks
it), so switching language can never show a raw key or crash on format.
"""

from __future__ import annotations

import math
from typing import Any

DEFAULT_LANG = "fr"
LANGS = ("fr", "en")

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        # comparison panel
        "compare.title": "Comparé aux autres clients",
        "compare.feature": "Caractéristique",
        "compare.group": "Groupe de comparaison",
        "group.all": "Tous les clients",
        "group.gender": "Même genre",
        "group.age_band": "Même tranche d'âge",
        "group.similar": "Clients similaires",
        "group.granted_refused": "Crédits accordés / refusés",
        "subgroup.all": "Tous les clients",
        "subgroup.gender": "Même genre",
        "subgroup.age_band": "Même tranche d'âge ({lo}-{hi} ans)",
        "subgroup.similar": "Clients similaires ({n})",
        "subgroup.granted": "Crédits accordés",
        "subgroup.refused": "Crédits refusés",
        "compare.y": "Part du groupe (%)",
        "compare.client": "Ce client : {value}",
        "compare.summary": (
            "{feature} : ce client ({value}) a une valeur plus élevée que {pct} % des clients "
            "du groupe « {group} » ({n} clients)."
        ),
        "compare.summary_two": (
            "{feature} : ce client ({value}) a une valeur plus élevée que {pct_a} % des crédits "
            "accordés et que {pct_b} % des crédits refusés."
        ),
        "compare.summary_cat": (
            "{feature} : ce client est dans la catégorie « {value} », partagée par {pct} % des "
            "clients du groupe « {group} » ({n} clients)."
        ),
        "compare.summary_cat_two": (
            "{feature} : ce client est dans la catégorie « {value} », partagée par {pct_a} % des "
            "crédits accordés et {pct_b} % des crédits refusés."
        ),
        "compare.ties": "{equal} % d'entre eux ont la même valeur.",
        "compare.missing": "{feature} : valeur non renseignée pour ce client.",
        "compare.protected_note": (
            "Le genre et l'âge servent seulement à décrire un groupe de comparaison, "
            "jamais à expliquer une décision."
        ),
        "compare.note_outliers": "Les valeurs extrêmes sont regroupées dans les barres des bords.",
        "table.bin": "Intervalle",
        "table.category": "Catégorie",
        "table.count": "Nombre",
        "table.show": "Voir les données en tableau",
        "missing": "non renseigné",
        "other_group": "Autres",
        # scatter + brushing
        "scatter.title": "Deux caractéristiques à la fois",
        "scatter.x": "Axe horizontal",
        "scatter.y": "Axe vertical",
        "scatter.risk": "Probabilité de défaut",
        "scatter.client": "Ce client",
        "scatter.mean": "{feature} (moyenne)",
        "scatter.table_caption": "Par quintile de « {x} » (toute la population)",
        "scatter.summary": (
            "Nuage de {shown} clients sur {total} (échantillon stratifié par niveau de risque) : "
            "{x} en abscisse, {y} en ordonnée, couleur = probabilité de défaut. "
            "Ce client : {xv} ; {yv} ; probabilité {proba}."
        ),
        "scatter.help": (
            "Sélectionnez une zone (rectangle ou lasso) pour résumer les clients qu'elle contient."
        ),
        "brush.title": "Clients sélectionnés",
        "brush.keyboard": "Sélection au clavier : saisissez les bornes de la zone puis validez.",
        "brush.from": "{feature} : de",
        "brush.to": "{feature} : à",
        "brush.apply": "Sélectionner cette zone",
        "brush.clear": "Effacer la sélection",
        "brush.all": "Toute la population",
        "brush.selection": "Sélection",
        "brush.hist_x": "Probabilité de défaut",
        "brush.hist_y": "Part des clients (%)",
        "brush.threshold": "Seuil ({value})",
        "brush.summary": (
            "{scope} : {count} clients ; taux de défaut observé {rate} (sur {train} clients "
            "connus) ; probabilité moyenne prédite {proba} ; part refusée {refused}."
        ),
        "brush.count": "Nombre de clients",
        "brush.rate": "Taux de défaut observé",
        "brush.proba": "Probabilité moyenne prédite",
        "brush.refused": "Part de crédits refusés",
        "brush.metric": "Indicateur",
        "brush.value": "Valeur",
        "brush.bin": "Probabilité",
        "brush.share_all": "Population (%)",
        "brush.share_sel": "Sélection (%)",
        # what-if
        "whatif.title": "Et si… ? Simulation",
        "whatif.help": (
            "Modifiez les valeurs de la demande puis cliquez sur « Recalculer ». "
            "Ces modifications restent dans cette session et ne changent aucune donnée."
        ),
        "whatif.recompute": "Recalculer",
        "whatif.reset": "Réinitialiser",
        "whatif.before": "Avant",
        "whatif.after": "Après",
        "whatif.probability": "Probabilité de défaut",
        "whatif.decision": "Décision",
        "whatif.threshold": "Seuil",
        "whatif.granted": "Crédit accordé",
        "whatif.refused": "Crédit refusé",
        "whatif.invalid": "Corrigez les champs signalés : rien n'a été recalculé.",
        "whatif.no_change": "Aucune valeur modifiée : le résultat est identique.",
        "whatif.done": (
            "Après modification ({n} champ(s)) : probabilité {before} → {after}, "
            "décision {decision_before} → {decision_after}."
        ),
        "whatif.error": "Le recalcul a échoué : {message}",
        "whatif.pending": "Cliquez sur « Recalculer » pour voir le résultat.",
        "whatif.contrib": "Facteur",
        "whatif.contrib_caption": (
            "Principaux facteurs avant et après (impact en log-odds ; positif = vers le refus)"
        ),
        "whatif.contrib_before": "Impact avant",
        "whatif.contrib_after": "Impact après",
        "whatif.contrib_change": "Variation",
        "whatif.bar_label": "Probabilité (%)",
        "whatif.gauge_summary": "{heading} : probabilité {proba}, seuil {threshold}, {decision}.",
        "field.required": "Champ obligatoire.",
        "field.number": "Saisissez un nombre.",
        "field.integer": "Saisissez un nombre entier.",
        "field.min": "La valeur doit être au moins {min}.",
        "field.max": "La valeur doit être au plus {max}.",
        "field.choice": "Choisissez une valeur de la liste.",
        "field.empty_choice": "(non renseigné)",
    },
    "en": {
        "compare.title": "Compared with other clients",
        "compare.feature": "Characteristic",
        "compare.group": "Comparison group",
        "group.all": "All clients",
        "group.gender": "Same gender",
        "group.age_band": "Same age band",
        "group.similar": "Similar clients",
        "group.granted_refused": "Granted / refused credits",
        "subgroup.all": "All clients",
        "subgroup.gender": "Same gender",
        "subgroup.age_band": "Same age band ({lo}-{hi} years)",
        "subgroup.similar": "Similar clients ({n})",
        "subgroup.granted": "Granted credits",
        "subgroup.refused": "Refused credits",
        "compare.y": "Share of the group (%)",
        "compare.client": "This client: {value}",
        "compare.summary": (
            "{feature}: this client ({value}) has a higher value than {pct}% of the clients "
            "in the group \"{group}\" ({n} clients)."
        ),
        "compare.summary_two": (
            "{feature}: this client ({value}) has a higher value than {pct_a}% of granted "
            "credits and {pct_b}% of refused credits."
        ),
        "compare.summary_cat": (
            "{feature}: this client is in the category \"{value}\", shared by {pct}% of the "
            "clients in the group \"{group}\" ({n} clients)."
        ),
        "compare.summary_cat_two": (
            "{feature}: this client is in the category \"{value}\", shared by {pct_a}% of "
            "granted credits and {pct_b}% of refused credits."
        ),
        "compare.ties": "{equal}% of them have the same value.",
        "compare.missing": "{feature}: no value recorded for this client.",
        "compare.protected_note": (
            "Gender and age only describe a comparison group; they never explain a decision."
        ),
        "compare.note_outliers": "Extreme values are grouped into the edge bars.",
        "table.bin": "Range",
        "table.category": "Category",
        "table.count": "Count",
        "table.show": "Show the data as a table",
        "missing": "not recorded",
        "other_group": "Other",
        "scatter.title": "Two characteristics at once",
        "scatter.x": "Horizontal axis",
        "scatter.y": "Vertical axis",
        "scatter.risk": "Probability of default",
        "scatter.client": "This client",
        "scatter.mean": "{feature} (mean)",
        "scatter.table_caption": "By quintile of \"{x}\" (whole population)",
        "scatter.summary": (
            "Scatter of {shown} clients out of {total} (sample stratified by risk level): "
            "{x} horizontally, {y} vertically, colour = probability of default. "
            "This client: {xv}; {yv}; probability {proba}."
        ),
        "scatter.help": "Select an area (box or lasso) to summarise the clients inside it.",
        "brush.title": "Selected clients",
        "brush.keyboard": "Keyboard selection: type the bounds of the area, then confirm.",
        "brush.from": "{feature}: from",
        "brush.to": "{feature}: to",
        "brush.apply": "Select this area",
        "brush.clear": "Clear the selection",
        "brush.all": "Whole population",
        "brush.selection": "Selection",
        "brush.hist_x": "Probability of default",
        "brush.hist_y": "Share of clients (%)",
        "brush.threshold": "Threshold ({value})",
        "brush.summary": (
            "{scope}: {count} clients; observed default rate {rate} (over {train} known "
            "clients); mean predicted probability {proba}; share refused {refused}."
        ),
        "brush.count": "Number of clients",
        "brush.rate": "Observed default rate",
        "brush.proba": "Mean predicted probability",
        "brush.refused": "Share of refused credits",
        "brush.metric": "Measure",
        "brush.value": "Value",
        "brush.bin": "Probability",
        "brush.share_all": "Population (%)",
        "brush.share_sel": "Selection (%)",
        "whatif.title": "What if…? Simulation",
        "whatif.help": (
            "Change the application's values, then click \"Recompute\". These changes stay "
            "in this session and change no data."
        ),
        "whatif.recompute": "Recompute",
        "whatif.reset": "Reset",
        "whatif.before": "Before",
        "whatif.after": "After",
        "whatif.probability": "Probability of default",
        "whatif.decision": "Decision",
        "whatif.threshold": "Threshold",
        "whatif.granted": "Credit granted",
        "whatif.refused": "Credit refused",
        "whatif.invalid": "Fix the flagged fields: nothing was recomputed.",
        "whatif.no_change": "No value changed: the result is the same.",
        "whatif.done": (
            "After the change ({n} field(s)): probability {before} → {after}, "
            "decision {decision_before} → {decision_after}."
        ),
        "whatif.error": "Recomputing failed: {message}",
        "whatif.pending": "Click \"Recompute\" to see the result.",
        "whatif.contrib": "Factor",
        "whatif.contrib_caption": (
            "Main factors before and after (impact in log-odds; positive = toward refusal)"
        ),
        "whatif.contrib_before": "Impact before",
        "whatif.contrib_after": "Impact after",
        "whatif.contrib_change": "Change",
        "whatif.bar_label": "Probability (%)",
        "whatif.gauge_summary": "{heading}: probability {proba}, threshold {threshold}, {decision}.",
        "field.required": "This field is required.",
        "field.number": "Enter a number.",
        "field.integer": "Enter a whole number.",
        "field.min": "The value must be at least {min}.",
        "field.max": "The value must be at most {max}.",
        "field.choice": "Choose a value from the list.",
        "field.empty_choice": "(not recorded)",
    },
}


def lang_or_default(lang: str | None) -> str:
    return lang if lang in STRINGS else DEFAULT_LANG


def t(key: str, lang: str = DEFAULT_LANG, **values: Any) -> str:
    """The string `key` in `lang` (French when the language is unknown), formatted."""
    text = STRINGS[lang_or_default(lang)][key]
    return text.format(**values) if values else text


def fmt_number(x: float | None, lang: str, digits: int = 0) -> str:
    """A number as an advisor reads it: French '12 345,6', English '12,345.6'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return t("missing", lang)
    text = f"{x:,.{digits}f}"
    if lang_or_default(lang) == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def fmt_pct(share: float | None, lang: str, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage ('12,3 %' / '12.3%')."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return t("missing", lang)
    number = fmt_number(100.0 * share, lang, digits)
    return f"{number}\u00a0%" if lang_or_default(lang) == "fr" else f"{number}%"
