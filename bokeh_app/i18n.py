"""Every user-facing string of the dashboard, in French (default) and English.

One table so that a test can prove both languages have the same keys and the
same `{placeholders}`; number formatting follows each language's conventions
(French: decimal comma, narrow no-break space before % and between thousands).
"""

from __future__ import annotations

import math
from typing import Any

DEFAULT_LANG = "fr"
LANGS = ("fr", "en")

#: Options of the language selector: code -> name written in that language.
LANG_NAMES = {"fr": "Français", "en": "English"}

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "app_name": "Prêt à dépenser",
        "page_title": "Prêt à dépenser — Score client",
        "page_title_client": "Prêt à dépenser — Score client {client_id}",
        "heading": "Score client et explication",
        "intro": "Saisissez un numéro de client pour afficher son score, la décision et ce qui l'explique.",
        # controls
        "client_input_title": "Numéro de client",
        "client_input_placeholder": "ex. 100002 (au moins 3 chiffres pour des suggestions)",
        "open_button": "Afficher le client",
        # the same words in both languages: the selector never changes while it has focus
        "lang_title": "Langue · Language",
        "skip_to_decision": "Aller à la décision",
        "section_show": "afficher",
        "section_hide": "masquer",
        "section_compare": "Comparer le client avec d'autres clients",
        "section_explore": "Explorer deux caractéristiques (équipe data)",
        "section_whatif": "Simuler un changement",
        "section_model": "À propos du modèle",
        "model_version_label": "Version du modèle",
        "threshold_label": "Seuil de refus (probabilité de défaut)",
        "cache_built_label": "Explications calculées le",
        "n_clients_label": "Clients notés",
        "text_size_title": "Taille du texte",
        "top_title": "Nombre de facteurs affichés",
        # messages
        "msg_ready": "Choisissez un client pour commencer.",
        "msg_opened": "Client {client_id} affiché.",
        "msg_unknown": "Le client {client_id} est inconnu. Vérifiez le numéro ; l'affichage précédent est conservé.",
        "msg_not_a_number": "« {text} » n'est pas un numéro de client : saisissez uniquement des chiffres.",
        "msg_empty": "Saisissez un numéro de client.",
        "msg_service_error": "Le service de scoring n'a pas répondu ({error}). L'affichage précédent est conservé.",
        "msg_artefacts_missing": "Le tableau de bord n'est pas prêt : les données du modèle sont absentes.",
        "msg_artefacts_command": "Pour les construire, lancez depuis le dossier du projet : {command}",
        "msg_artefacts_detail": "Détail : {detail}",
        # score panel
        "score_heading": "Score et décision",
        "no_client": "Aucun client affiché.",
        "probability": "Probabilité de défaut : {value}",
        "threshold": "Seuil de décision : {value}",
        "decision_granted": "Crédit accordé",
        "decision_refused": "Crédit refusé",
        "risk_level": "Niveau de risque : {level} ({step} sur 7)",
        "distance_above": "{points} au-dessus du seuil",
        "distance_below": "{points} en dessous du seuil",
        "distance_at": "exactement au seuil",
        "distance_just_above": "moins de 0,1 point au-dessus du seuil",
        "distance_just_below": "moins de 0,1 point en dessous du seuil",
        "points_unit": "{value} point de pourcentage",
        "points_unit_plural": "{value} points de pourcentage",
        "gauge_title": "Probabilité de défaut",
        "gauge_threshold_label": "seuil {value}",
        "gauge_summary": (
            "Jauge : la probabilité de défaut du client {client_id} est de {probability}, "
            "{distance} ({threshold}) ; niveau de risque {level} ; {decision}."
        ),
        "gauge_scale_note": (
            "La jauge est graduée par niveau de risque : chaque couleur est un niveau, "
            "du plus faible (à gauche) au plus élevé (à droite) ; l'aiguille montre le client, "
            "le trait noir épais le seuil au-delà duquel le crédit est refusé."
        ),
        "gauge_table_caption": "Niveaux de risque de la jauge",
        "col_level": "Niveau",
        "col_from": "De",
        "col_to": "À",
        "col_client": "Client",
        "client_here": "← client",
        # risk levels (keys of scoring.model.decision.RISK_LEVEL_KEYS)
        "risk_very_low": "très faible",
        "risk_low": "faible",
        "risk_rather_low": "plutôt faible",
        "risk_moderate": "modéré",
        "risk_rather_high": "plutôt élevé",
        "risk_high": "élevé",
        "risk_very_high": "très élevé",
        # profile panel
        "profile_heading": "Profil du client",
        "profile_caption": "Principales informations du client {client_id}",
        "col_field": "Information",
        "col_value": "Valeur",
        "missing_value": "non renseigné",
        # why panel
        "why_heading": "Pourquoi ce score ?",
        "contrib_title": "Ce qui pèse sur le score du client",
        "toward_refusal": "pousse vers le refus",
        "toward_acceptance": "pousse vers l'accord",
        "toward_refusal_arrow": "pousse vers le refus →",
        "toward_acceptance_arrow": "← pousse vers l'accord",
        "other_factors": "autres facteurs",
        "other_factors_label": "Autres facteurs ({count})",
        "contrib_axis": "Contribution au score (log-odds)",
        "contrib_note": (
            "Comment lire : chaque barre est une caractéristique du client, avec sa valeur. "
            "Les barres à droite du zéro (rayées, signe +) poussent vers le refus ; "
            "celles à gauche (pleines, signe −) poussent vers l'accord. "
            "Plus la barre est longue, plus la caractéristique pèse pour ce client. "
            "« Autres facteurs » additionne toutes les caractéristiques non affichées. "
            "† marque une caractéristique protégée (âge, genre, situation familiale…) : "
            "le modèle en tient compte, mais elle n'est jamais un motif de la décision "
            "ni une piste d'amélioration à présenter au client."
        ),
        "contrib_summary": (
            "Graphique : pour le client {client_id}, {n_refusal} des {n} principaux facteurs "
            "poussent vers le refus et {n_accept} vers l'accord ; le plus fort est "
            "« {top_label} » ({top_value}), qui {top_direction}."
        ),
        "contrib_summary_empty": "Graphique : aucune contribution à afficher.",
        "contrib_table_caption": "Contributions des facteurs pour le client {client_id}",
        "col_rank": "Rang",
        "col_feature": "Caractéristique",
        "col_client_value": "Valeur du client",
        "col_contribution": "Contribution",
        "col_direction": "Effet",
        "global_title": "Importance générale des caractéristiques",
        "global_axis": "Importance moyenne (|SHAP| moyen)",
        "global_note": (
            "Comment lire : ce graphique montre ce qui compte le plus pour le modèle en moyenne, "
            "sur tous les clients, sans indiquer de sens. À côté de chaque barre, « général » "
            "donne le rang de la caractéristique sur tous les clients et « client » son rang "
            "pour ce client (— si elle n'est pas parmi ses facteurs affichés)."
        ),
        "global_bar_label": "général {global_rank} · client {local_rank}",
        "global_summary": (
            "Graphique : en moyenne sur tous les clients, la caractéristique la plus importante "
            "est « {top_label} » ; {n_shared} des {n} plus importantes figurent aussi parmi "
            "les facteurs affichés du client {client_id}."
        ),
        "global_summary_empty": "Graphique : importance générale indisponible.",
        "global_table_caption": "Importance générale et rang pour le client {client_id}",
        "col_global_rank": "Rang général",
        "col_local_rank": "Rang pour le client",
        "col_importance": "Importance moyenne",
        "not_in_top": "—",
        "show_data": "Voir les données",
        "how_to_read": "Comment lire ce graphique",
        "summary_label": "Résumé : {text}",
    },
    "en": {
        "app_name": "Prêt à dépenser",
        "page_title": "Prêt à dépenser — Client score",
        "page_title_client": "Prêt à dépenser — Client score {client_id}",
        "heading": "Client score and explanation",
        "intro": "Enter a client number to show their score, the decision and what explains it.",
        "client_input_title": "Client number",
        "client_input_placeholder": "e.g. 100002 (at least 3 digits for suggestions)",
        "open_button": "Show client",
        "lang_title": "Langue · Language",
        "skip_to_decision": "Skip to the decision",
        "section_show": "show",
        "section_hide": "hide",
        "section_compare": "Compare the client with other clients",
        "section_explore": "Explore two characteristics (data team)",
        "section_whatif": "Simulate a change",
        "section_model": "About the model",
        "model_version_label": "Model version",
        "threshold_label": "Refusal threshold (probability of default)",
        "cache_built_label": "Explanations computed on",
        "n_clients_label": "Clients scored",
        "text_size_title": "Text size",
        "top_title": "Number of factors shown",
        "msg_ready": "Choose a client to start.",
        "msg_opened": "Client {client_id} shown.",
        "msg_unknown": "Client {client_id} is unknown. Check the number; the previous view is kept.",
        "msg_not_a_number": "“{text}” is not a client number: type digits only.",
        "msg_empty": "Enter a client number.",
        "msg_service_error": "The scoring service did not answer ({error}). The previous view is kept.",
        "msg_artefacts_missing": "The dashboard is not ready: the model data are missing.",
        "msg_artefacts_command": "To build them, run from the project folder: {command}",
        "msg_artefacts_detail": "Detail: {detail}",
        "score_heading": "Score and decision",
        "no_client": "No client shown.",
        "probability": "Probability of default: {value}",
        "threshold": "Decision threshold: {value}",
        "decision_granted": "Credit granted",
        "decision_refused": "Credit refused",
        "risk_level": "Risk level: {level} ({step} of 7)",
        "distance_above": "{points} above the threshold",
        "distance_below": "{points} below the threshold",
        "distance_at": "exactly at the threshold",
        "distance_just_above": "less than 0.1 point above the threshold",
        "distance_just_below": "less than 0.1 point below the threshold",
        "points_unit": "{value} percentage point",
        "points_unit_plural": "{value} percentage points",
        "gauge_title": "Probability of default",
        "gauge_threshold_label": "threshold {value}",
        "gauge_summary": (
            "Gauge: client {client_id} has a probability of default of {probability}, "
            "{distance} ({threshold}); risk level {level}; {decision}."
        ),
        "gauge_scale_note": (
            "The gauge is graduated by risk level: each colour is one level, from the lowest "
            "(left) to the highest (right); the needle shows the client, the thick black mark "
            "the threshold beyond which the credit is refused."
        ),
        "gauge_table_caption": "Risk levels of the gauge",
        "col_level": "Level",
        "col_from": "From",
        "col_to": "To",
        "col_client": "Client",
        "client_here": "← client",
        "risk_very_low": "very low",
        "risk_low": "low",
        "risk_rather_low": "rather low",
        "risk_moderate": "moderate",
        "risk_rather_high": "rather high",
        "risk_high": "high",
        "risk_very_high": "very high",
        "profile_heading": "Client profile",
        "profile_caption": "Key facts about client {client_id}",
        "col_field": "Fact",
        "col_value": "Value",
        "missing_value": "not provided",
        "why_heading": "Why this score?",
        "contrib_title": "What weighs on this client's score",
        "toward_refusal": "pushes toward refusal",
        "toward_acceptance": "pushes toward acceptance",
        "toward_refusal_arrow": "pushes toward refusal →",
        "toward_acceptance_arrow": "← pushes toward acceptance",
        "other_factors": "other factors",
        "other_factors_label": "Other factors ({count})",
        "contrib_axis": "Contribution to the score (log-odds)",
        "contrib_note": (
            "How to read: each bar is one of the client's characteristics, with its value. "
            "Bars right of zero (striped, + sign) push toward refusal; bars left of zero "
            "(solid, − sign) push toward acceptance. The longer the bar, the more the "
            "characteristic weighs for this client. “Other factors” adds up every "
            "characteristic not shown. † marks a protected characteristic (age, gender, "
            "family status…): the model takes it into account, but it is never a reason "
            "for the decision nor a way to improve it to offer the client."
        ),
        "contrib_summary": (
            "Chart: for client {client_id}, {n_refusal} of the {n} main factors push toward "
            "refusal and {n_accept} toward acceptance; the strongest is “{top_label}” "
            "({top_value}), which {top_direction}."
        ),
        "contrib_summary_empty": "Chart: no contribution to show.",
        "contrib_table_caption": "Factor contributions for client {client_id}",
        "col_rank": "Rank",
        "col_feature": "Characteristic",
        "col_client_value": "Client's value",
        "col_contribution": "Contribution",
        "col_direction": "Effect",
        "global_title": "Overall importance of characteristics",
        "global_axis": "Mean importance (mean |SHAP|)",
        "global_note": (
            "How to read: this chart shows what matters most to the model on average, over "
            "all clients, without a direction. Beside each bar, “overall” gives the "
            "characteristic's rank over all clients and “client” its rank for this client "
            "(— when it is not among the factors shown)."
        ),
        "global_bar_label": "overall {global_rank} · client {local_rank}",
        "global_summary": (
            "Chart: on average over all clients, the most important characteristic is "
            "“{top_label}”; {n_shared} of the {n} most important are also among the factors "
            "shown for client {client_id}."
        ),
        "global_summary_empty": "Chart: overall importance unavailable.",
        "global_table_caption": "Overall importance and rank for client {client_id}",
        "col_global_rank": "Overall rank",
        "col_local_rank": "Rank for the client",
        "col_importance": "Mean importance",
        "not_in_top": "—",
        "show_data": "Show the data",
        "how_to_read": "How to read this chart",
        "summary_label": "Summary: {text}",
    },
}

#: French thousands separator and the space before % / units: narrow no-break space.
_NNBSP = "\u202f"


def check_lang(lang: str) -> str:
    """The language code itself, or the default when it is not one we speak."""
    return lang if lang in STRINGS else DEFAULT_LANG


def t(key: str, lang: str = DEFAULT_LANG, **values: Any) -> str:
    """The string `key` in `lang`, with `{placeholders}` filled from `values`."""
    text = STRINGS[check_lang(lang)][key]
    return text.format(**values) if values else text


def fmt_number(value: float, lang: str = DEFAULT_LANG, digits: int = 0) -> str:
    """A number with the language's decimal mark and thousands separator."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("missing_value", lang)
    text = f"{value:,.{digits}f}"
    if float(text.replace(",", "")) == 0:
        text = text.lstrip("-")  # never "−0,000": a value that rounds to zero has no sign
    if check_lang(lang) == "fr":
        text = text.replace(",", _NNBSP).replace(".", ",")
    return text.replace("-", "−")


def fmt_signed(value: float, lang: str = DEFAULT_LANG, digits: int = 2) -> str:
    """A number with an explicit sign (+ / −), so direction never relies on colour."""
    body = fmt_number(abs(value), lang, digits)
    return ("+" if value > 0 else "−" if value < 0 else "±") + body


def fmt_percent(probability: float, lang: str = DEFAULT_LANG, digits: int = 1) -> str:
    """A probability in [0, 1] as a percentage: "12,3 %" / "12.3%"."""
    body = fmt_number(probability * 100.0, lang, digits)
    return f"{body}{_NNBSP}%" if check_lang(lang) == "fr" else f"{body}%"


def fmt_points(points: float, lang: str = DEFAULT_LANG) -> str:
    """An unsigned distance in percentage points, singular/plural as the language needs."""
    value = abs(points)
    plural = value >= 2 if check_lang(lang) == "fr" else value != 1
    return t("points_unit_plural" if plural else "points_unit", lang, value=fmt_number(value, lang, 1))


def risk_label(level: int, lang: str = DEFAULT_LANG) -> str:
    """The words for risk level 0..6."""
    from scoring.model.decision import RISK_LEVEL_KEYS

    return t(f"risk_{RISK_LEVEL_KEYS[level]}", lang)
