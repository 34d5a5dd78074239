"""FR/EN sentences about a decision's robustness and options: recourse and unusual-value warnings.

Only the words live here (pairs of templates, placeholders filled by the
service with values already formatted by `scoring.text.formatting`); which
options exist and when a value is unusual are decided by
`scoring.service.recourse` and `scoring.service.novelty`.
"""

from __future__ import annotations

#: Recourse kind -> (FR, EN) short title of the option.
KIND_LABELS: dict[str, tuple[str, str]] = {
    "amount_same_duration": ("Le montant le plus élevé accordable sur la même durée",
                             "The largest amount that can be granted over the same duration"),
    "longer_duration": ("Même montant, remboursé plus longtemps", "Same amount, repaid over a longer period"),
    "shorter_duration": ("Même montant, remboursé plus vite", "Same amount, repaid over a shorter period"),
    "combined": ("Le plus petit changement combiné du montant et de l'échéance",
                 "The smallest combined change of the amount and the instalment"),
    "amount_same_instalment": ("Emprunter moins, avec la même échéance",
                               "Borrow less with the same instalment"),
    "down_payment": ("Un apport personnel, pour le même bien", "A down payment, for the same goods"),
    "headroom": ("Montant le plus élevé encore accordé, sur la même durée",
                 "Largest amount still granted over the same duration"),
}

TEXT: dict[str, tuple[str, str]] = {
    # one changed field, and the option's outcome
    "change": ("{label} : {old} → {new}", "{label}: {old} → {new}"),
    "down_payment": ("apport personnel de {amount} pour un bien à {goods}",
                     "a down payment of {amount} on goods priced {goods}"),
    "outcome": ("Risque estimé après ce changement : {probability} (seuil {threshold}), crédit accordé.",
                "Estimated risk after this change: {probability} (threshold {threshold}), credit granted."),
    "headroom_outcome": ("Risque estimé à ce montant : {probability} (seuil {threshold}), crédit encore accordé.",
                         "Estimated risk at this amount: {probability} (threshold {threshold}), "
                         "credit still granted."),
    "headroom_limit": ("Au-delà, les valeurs du dossier sortiraient de celles observées chez nos clients : "
                       "le modèle n'aurait plus de référence.",
                       "Beyond it, the application's values would leave those seen among our clients: "
                       "the model would have no reference."),
    # the decision's distance to the threshold
    "refused": ("Crédit refusé : score de {score}, soit {gap} sous le seuil de {threshold} (risque de défaut "
                "estimé {probability}).",
                "Credit refused: a score of {score}, {gap} below the threshold of {threshold} (estimated risk of "
                "default {probability})."),
    "granted": ("Crédit accordé : score de {score}, soit une marge de {gap} au-dessus du seuil de {threshold} "
                "(risque de défaut estimé {probability}).",
                "Credit granted: a score of {score}, a margin of {gap} above the threshold of {threshold} "
                "(estimated risk of default {probability})."),
    "options_one": ("Une possibilité le ferait accorder, sans toucher aux autres éléments du dossier.",
                    "One option would get it granted, leaving the rest of the application as it is."),
    "options_many": ("{n} possibilités le feraient accorder, chacune sans toucher aux autres éléments du "
                     "dossier.",
                     "{n} options would get it granted, each leaving the rest of the application as it is."),
    "options_none": ("Aucun changement du montant, de la durée ou du prix du bien, dans les valeurs observées "
                     "chez nos clients, ne suffit à le faire accorder.",
                     "No change of the amount, the duration or the price of the goods, within the values "
                     "seen among our clients, is enough to get it granted."),
    "gap_one": ("{value} point", "{value} point"),
    "gap_many": ("{value} points", "{value} points"),
    # unusual values (out of distribution)
    "range": ("Valeurs hors de celles de 99 % des clients d'entraînement : {items}. Le score est calculé "
              "mais moins fiable.",
              "Values outside those of 99 % of the training clients: {items}. The score is computed but "
              "less reliable."),
    "range_item": ("{label} {value} (observé : de {low} à {high})", "{label} {value} (seen: {low} to {high})"),
    "combination": ("Combinaison de valeurs éloignée de tous les clients d'entraînement (plus que 99 % "
                    "d'entre eux), surtout : {labels}. Le score est calculé mais moins fiable.",
                    "A combination of values far from every training client (farther than 99 % of them), "
                    "mostly: {labels}. The score is computed but less reliable."),
}
