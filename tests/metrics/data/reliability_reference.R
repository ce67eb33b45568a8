# Reference values for tests/metrics/test_reliability.py, from the R package psych.
# Produced with R 4.2.2, psych 2.2.9, GPArotation 2022.10-2 and lavaan 0.6-14 (Debian 12
# packages r-base-core, r-cran-psych, r-cran-gparotation, r-cran-lavaan):
#
#     cd tests/metrics/data && Rscript reliability_reference.R
#
# psych prints warnings about negatively correlated items on the pingouin data; they are
# expected (the data are as published) and do not change the numbers.
library(psych)
library(GPArotation)
options(digits = 12, width = 150)
show <- function(title, x) { cat("\n==", title, "\n"); print(x) }

# --- Cronbach's alpha: pingouin's example data ---------------------------------------------
long <- read.csv("pingouin_cronbach_alpha.csv")
wide <- reshape(long, idvar = "Subj", timevar = "Items", direction = "wide")
wide <- wide[order(wide$Subj), -1]
a <- suppressWarnings(alpha(wide))
show("cronbach_alpha: total", a$total[, c("raw_alpha", "std.alpha")])
show("cronbach_alpha: alpha if dropped", a$alpha.drop[, "raw_alpha", drop = FALSE])
show("cronbach_alpha: item stats", a$item.stats[, c("n", "r.drop", "mean", "sd")])
show("cronbach_alpha: Feldt", unlist(a$feldt[1:3]))

missing <- read.csv("pingouin_cronbach_wide_missing.csv")
for (use in c("pairwise", "complete.obs")) {
  a <- suppressWarnings(alpha(missing, use = use))
  show(paste("wide_missing", use, ": total"), a$total[, c("raw_alpha", "std.alpha")])
  show(paste("wide_missing", use, ": alpha if dropped"), a$alpha.drop[, "raw_alpha", drop = FALSE])
  show(paste("wide_missing", use, ": item stats"), a$item.stats[, c("n", "r.drop", "mean", "sd")])
  show(paste("wide_missing", use, ": Feldt"), unlist(a$feldt[1:3]))
}

# --- Holzinger & Swineford (1939), x1 ... x9 -----------------------------------------------
hs <- read.csv("holzinger_swineford_1939.csv")[, paste0("x", 1:9)]
a <- alpha(hs)
show("HS: alpha", a$total[, c("raw_alpha", "std.alpha")])
show("HS: alpha if dropped", a$alpha.drop[, "raw_alpha", drop = FALSE])
show("HS: item stats", a$item.stats[, c("n", "r.drop", "mean", "sd")])
show("HS: Feldt", unlist(a$feldt[1:3]))

om <- omega(hs, nfactors = 3, plot = FALSE)
show("HS omega: omega_h, omega_t, ECV", c(om$omega_h, om$omega.tot, om$ECV))
show("HS omega: Schmid-Leiman", unclass(om$schmid$sl)[, 1:5])

one <- function(x) {
  f <- fa(x, nfactors = 1, fm = "minres")
  l <- f$loadings[, 1]
  sum(l)^2 / (sum(l)^2 + sum(1 - l^2))
}
show("HS: one-factor omega, x1-x9 and x1-x3", c(one(hs), one(hs[, 1:3])))

# The same data with answers removed in a fixed pattern, for the pairwise code paths.
holes <- hs
rows <- seq_len(nrow(hs))
holes$x1[rows %% 7 == 0] <- NA
holes$x5[rows %% 11 == 0] <- NA
holes$x9[rows %% 13 == 0] <- NA
a <- alpha(holes, use = "pairwise")
show("HS with holes: pairwise alpha", a$total[, "raw_alpha"])
show("HS with holes: item stats", cbind(a$item.stats[, c("n", "r.drop")], a$alpha.drop[, "raw_alpha", drop = FALSE]))
om <- omega(holes, nfactors = 3, plot = FALSE)   # psych uses pairwise correlations
show("HS with holes: omega_h, omega_t, ECV", c(om$omega_h, om$omega.tot, om$ECV))

# --- Thurstone's 9 ability tests (McDonald 1999), the example of ?omega ---------------------
thurstone <- as.matrix(read.csv("psych_thurstone.csv", row.names = 1))
om <- omega(thurstone, nfactors = 3, n.obs = 213, plot = FALSE)
show("Thurstone omega: omega_h, omega_t, ECV", c(om$omega_h, om$omega.tot, om$ECV))
show("Thurstone omega: Schmid-Leiman", unclass(om$schmid$sl)[, 1:5])
f <- fa(thurstone, nfactors = 1, fm = "minres")
l <- f$loadings[, 1]
show("Thurstone: one-factor omega", sum(l)^2 / (sum(l)^2 + sum(1 - l^2)))
