"""Technology watch: a recent text-embedding technique against the classic approach.

WordLlama (2024) static token embeddings and a TF-IDF baseline go through the
same protocol (stratified cross-validated classification, KMeans clustering,
a 2-D map) on the product catalogue, and the run writes a standalone HTML
report. Independent of the scoring package: nothing here imports `scoring`.
"""
