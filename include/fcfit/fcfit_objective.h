/**
 * @file fcfit_objective.h
 * The fit objective: what every search stage ranks and minimises.
 *
 * Written in the job as `fit.objective`, either one score name or a linear
 * expression of scores:
 *
 *   fc_corr                    the score itself, in its own sense (higher is better)
 *   fc_rmse                    lower is better
 *   1 - fc_corr + fcd_ks       a loss, always minimised
 *   0.5*fc_rmse + 2 fcd_ks     weights may be written with or without '*'
 *
 * Internally every objective is a loss to minimise, loss = c + sum_k w_k s_k:
 * a lone score with "higher is better" becomes loss = -score. A failed
 * evaluation (diverged, out of domain, degenerate, or a score the objective
 * uses is NaN) gets the finite penalty `fit.penalty`, so an optimizer never
 * sees NaN or infinity.
 */
#ifndef FCFIT_OBJECTIVE_H
#define FCFIT_OBJECTIVE_H

#include <stddef.h>

#include "fcfit/fcfit_score.h"
#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fcfit_objective {
    double w[FCFIT_SCORE_COUNT]; /**< weight of each score in the loss */
    double c;                    /**< constant term */
    int single;                  /**< score index when the objective is one score name, else -1 */
    double penalty;              /**< loss of a failed evaluation */
    char text[256];              /**< the expression as written */
} fcfit_objective;

/**
 * Parse an objective expression. `where` names the place in messages
 * ("job.yaml:12: fit.objective").
 * @return FCFIT_ERR_CONFIG with a message naming the bad token and the valid score names.
 */
fcfit_status fcfit_objective_parse(const char *text, const char *where, fcfit_objective *obj);

/** Nonzero when score k enters the objective. */
int fcfit_objective_uses(const fcfit_objective *obj, int k);

/**
 * Loss of a score vector: c + sum w_k s_k, or NaN when a score it uses is
 * NaN (the caller then applies the penalty; see fcfit_objective_loss_or_penalty).
 */
double fcfit_objective_loss(const fcfit_objective *obj, const double *scores);

/** The loss of an evaluation with task status `status`: penalty unless ok and finite. */
double fcfit_objective_loss_or_penalty(const fcfit_objective *obj, int status,
                                       const double *scores);

/**
 * The value users read: for a single score, the score itself (the loss with
 * its sign undone); for an expression, the loss.
 */
double fcfit_objective_display(const fcfit_objective *obj, double loss);

/** "higher" or "lower": which display values are better. */
const char *fcfit_objective_better(const fcfit_objective *obj);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_OBJECTIVE_H */
