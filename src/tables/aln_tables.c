/*
 * aln_tables.c: the ALN transfer-function tables from the Fokker–Planck
 * equation of an EIF neuron (see fcfit_aln_tables.h).
 *
 * Method (Richardson 2007, Phys Rev E 76:021919; as used for the LN cascade
 * of Augustin et al. 2017, PLoS Comput Biol 13:e1005545). With c = 2/sigma^2,
 * Psi(V) = DeltaT exp((V - VT)/DeltaT) and, on the voltage grid V_k = Vlb +
 * k dV up to V_{n-1} = Vs,
 *
 *   F_k = c ((V_k - EL - Psi_k)/taum - mu),  A_k = exp(dV F_k),  B_k = c (A_k - 1)/F_k
 *
 * the stationary density is integrated backwards from the absorbing
 * threshold, p_{k-1} = p_k A_k + B_k above the reset and p_k A_k below it,
 * and normalised to one; the rate is the flux. The first-order response of
 * the rate to a small modulation of mu or sigma at angular frequency w is the
 * ratio of two complex backward recursions (the homogeneous one, a, and the
 * one driven by the modulation's inhomogeneity h_k, b): r1(w) = -q1b/q1a.
 * The response, normalised to its low-frequency value, is fitted by
 * 1/(1 + i w tau) with a coarse (1 ms) then fine (0.01 ms) grid search over
 * tau, which puts the fitted taus on the grid 0.001 + k 0.01 ms.
 *
 * The complex recursions run for 4000 frequencies at once: the frequency is
 * the inner, contiguous index (structure of arrays), processed in blocks that
 * stay in the L1 cache, so the loop vectorises and the per-voltage
 * coefficients are streamed once per block. Every frequency's arithmetic is
 * independent of the block and vector width.
 */
#include "fcfit/fcfit_aln_tables.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const fcfit_aln_neuron_names[FCFIT_ALN_N_NEURON] = {"C",  "gL", "EL", "DeltaT",
                                                                "VT", "Vr", "Vs", "Tref"};
const char *const fcfit_aln_neuron_units[FCFIT_ALN_N_NEURON] = {"pF", "nS", "mV", "mV",
                                                                "mV", "mV", "mV", "ms"};

double *fcfit_aln_neuron_at(fcfit_aln_neuron *nr, size_t i)
{
    double *const f[FCFIT_ALN_N_NEURON] = {&nr->C,  &nr->gL, &nr->EL, &nr->DeltaT,
                                           &nr->VT, &nr->Vr, &nr->Vs, &nr->Tref};
    return i < FCFIT_ALN_N_NEURON ? f[i] : NULL;
}

void fcfit_aln_neuron_default(fcfit_aln_neuron *nr)
{
    nr->C = 200.0;
    nr->gL = 10.0;
    nr->EL = -65.0;
    nr->DeltaT = 1.5;
    nr->VT = -50.0;
    nr->Vr = -70.0;
    nr->Vs = -40.0;
    nr->Tref = 1.5;
}

/* Numerical settings of the reference tables. */
#define GEN_VLB (-200.0)
#define GEN_DV 0.01
#define GEN_DMU 1e-5
#define GEN_DSIG 1e-5
#define GEN_NF 4000
#define GEN_DF 0.00025 /* kHz */
#define GEN_BLOCK 16   /* frequencies per cache block */

fcfit_status fcfit_aln_neuron_check(const fcfit_aln_neuron *nr)
{
    fcfit_aln_neuron c = *nr;
    for (size_t i = 0; i < FCFIT_ALN_N_NEURON; i++) {
        FCFIT_REQUIRE(isfinite(*fcfit_aln_neuron_at(&c, i)), FCFIT_ERR_ARG,
                      "model.aln.%s is not finite", fcfit_aln_neuron_names[i]);
    }
    FCFIT_REQUIRE(nr->C > 0.0, FCFIT_ERR_ARG, "model.aln.C = %g pF must be positive", nr->C);
    FCFIT_REQUIRE(nr->gL > 0.0, FCFIT_ERR_ARG, "model.aln.gL = %g nS must be positive", nr->gL);
    FCFIT_REQUIRE(nr->DeltaT > 0.0, FCFIT_ERR_ARG, "model.aln.DeltaT = %g mV must be positive",
                  nr->DeltaT);
    FCFIT_REQUIRE(nr->Tref >= 0.0, FCFIT_ERR_ARG, "model.aln.Tref = %g ms must not be negative",
                  nr->Tref);
    FCFIT_REQUIRE(nr->Vr < nr->Vs && nr->VT < nr->Vs && nr->EL < nr->Vs, FCFIT_ERR_ARG,
                  "model.aln: Vr (%g), VT (%g) and EL (%g) must lie below Vs (%g mV)", nr->Vr,
                  nr->VT, nr->EL, nr->Vs);
    FCFIT_REQUIRE(nr->Vr > GEN_VLB + 1.0 && nr->EL > GEN_VLB + 1.0, FCFIT_ERR_ARG,
                  "model.aln: Vr and EL must lie above the voltage grid's lower end %g mV", GEN_VLB);
    return FCFIT_OK;
}

void fcfit_aln_grid_default(fcfit_aln_grid *g)
{
    g->mu0 = -1.0;
    g->dmu = 8.0 / 349.0;
    g->n_mu = 350;
    g->sigma0 = 0.5;
    g->dsigma = 4.5 / 63.0;
    g->n_sigma = 64;
}

fcfit_status fcfit_aln_tables_create(fcfit_aln_tables **t, const fcfit_aln_grid *g,
                                     const fcfit_aln_neuron *nr)
{
    fcfit_status st = FCFIT_OK;
    fcfit_aln_tables *o = NULL;
    const size_t n = g->n_mu * g->n_sigma;

    *t = NULL;
    FCFIT_ALLOC_GOTO(o, 1, "ALN tables");
    o->grid = *g;
    o->neuron = *nr;
    FCFIT_ALLOC_GOTO(o->r_ss, n, "ALN table r_ss");
    FCFIT_ALLOC_GOTO(o->V_mean_ss, n, "ALN table V_mean_ss");
    FCFIT_ALLOC_GOTO(o->tau_mu_exp, n, "ALN table tau_mu_exp");
    FCFIT_ALLOC_GOTO(o->tau_sigma_exp, n, "ALN table tau_sigma_exp");
    *t = o;
    return FCFIT_OK;
cleanup:
    fcfit_aln_tables_destroy(&o);
    return st;
}

void fcfit_aln_tables_destroy(fcfit_aln_tables **t)
{
    if (t == NULL || *t == NULL) {
        return;
    }
    free((*t)->r_ss);
    free((*t)->V_mean_ss);
    free((*t)->tau_mu_exp);
    free((*t)->tau_sigma_exp);
    free(*t);
    *t = NULL;
}

fcfit_status fcfit_aln_tables_validate(const fcfit_aln_tables *t, const char *label)
{
    const fcfit_aln_grid *g = &t->grid;
    FCFIT_REQUIRE(g->n_mu >= 2 && g->n_sigma >= 2, FCFIT_ERR_INPUT,
                  "%s: the ALN tables need at least 2 x 2 grid points (mu x sigma), got %zu x %zu",
                  label, g->n_mu, g->n_sigma);
    FCFIT_REQUIRE(isfinite(g->mu0) && isfinite(g->sigma0) && g->dmu > 0.0 && g->dsigma > 0.0 &&
                      isfinite(g->dmu) && isfinite(g->dsigma) && g->sigma0 >= 0.0,
                  FCFIT_ERR_INPUT,
                  "%s: the ALN table axes must be finite and increasing, with sigma >= 0", label);
    for (size_t k = 0; k < g->n_mu * g->n_sigma; k++) {
        FCFIT_REQUIRE(isfinite(t->r_ss[k]) && t->r_ss[k] >= 0.0 && isfinite(t->V_mean_ss[k]) &&
                          isfinite(t->tau_mu_exp[k]) && t->tau_mu_exp[k] > 0.0 &&
                          isfinite(t->tau_sigma_exp[k]) && t->tau_sigma_exp[k] >= 0.0,
                      FCFIT_ERR_INPUT,
                      "%s: ALN table entry (mu index %zu, sigma index %zu) is invalid (rates must be "
                      "finite and >= 0, taus finite with tau_mu > 0)",
                      label, k / g->n_sigma, k % g->n_sigma);
    }
    return FCFIT_OK;
}

struct fcfit_aln_gen {
    fcfit_aln_neuron nr;
    double taum;
    size_t n, kr;   /* voltage points, reset index */
    double *V, *psi; /* [n] */
    double *A, *B;  /* [n] coefficients of the current solve */
    double *p;      /* [n] density */
    double *hm, *hs; /* [n] inhomogeneities of the mu and sigma modulations */
    double *wdv;    /* [NF] w*dV */
    double *ref_re, *ref_im; /* [NF] exp(-i w Tref) */
    double *f;      /* [NF] frequencies, kHz */
    double *r1m_re, *r1m_im, *r1s_re, *r1s_im; /* [NF] responses */
    double *blk;    /* 12 * GEN_BLOCK recursion state */
};

void fcfit_aln_gen_destroy(fcfit_aln_gen **gen)
{
    if (gen == NULL || *gen == NULL) {
        return;
    }
    fcfit_aln_gen *g = *gen;
    free(g->V);
    free(g->psi);
    free(g->A);
    free(g->B);
    free(g->p);
    free(g->hm);
    free(g->hs);
    free(g->wdv);
    free(g->ref_re);
    free(g->ref_im);
    free(g->f);
    free(g->r1m_re);
    free(g->r1m_im);
    free(g->r1s_re);
    free(g->r1s_im);
    free(g->blk);
    free(g);
    *gen = NULL;
}

fcfit_status fcfit_aln_gen_create(fcfit_aln_gen **gen, const fcfit_aln_neuron *nr)
{
    fcfit_status st = FCFIT_OK;
    fcfit_aln_gen *g = NULL;

    *gen = NULL;
    FCFIT_CHECK(fcfit_aln_neuron_check(nr));
    FCFIT_ALLOC_GOTO(g, 1, "ALN table generator");
    g->nr = *nr;
    g->taum = nr->C / nr->gL;
    g->n = (size_t)lround((nr->Vs - GEN_VLB) / GEN_DV) + 1;
    FCFIT_ALLOC_GOTO(g->V, g->n, "voltage grid");
    FCFIT_ALLOC_GOTO(g->psi, g->n, "voltage grid");
    FCFIT_ALLOC_GOTO(g->A, g->n, "voltage grid");
    FCFIT_ALLOC_GOTO(g->B, g->n, "voltage grid");
    FCFIT_ALLOC_GOTO(g->p, g->n, "voltage grid");
    FCFIT_ALLOC_GOTO(g->hm, g->n, "voltage grid");
    FCFIT_ALLOC_GOTO(g->hs, g->n, "voltage grid");
    FCFIT_ALLOC_GOTO(g->wdv, GEN_NF, "frequencies");
    FCFIT_ALLOC_GOTO(g->ref_re, GEN_NF, "frequencies");
    FCFIT_ALLOC_GOTO(g->ref_im, GEN_NF, "frequencies");
    FCFIT_ALLOC_GOTO(g->f, GEN_NF, "frequencies");
    FCFIT_ALLOC_GOTO(g->r1m_re, GEN_NF, "frequencies");
    FCFIT_ALLOC_GOTO(g->r1m_im, GEN_NF, "frequencies");
    FCFIT_ALLOC_GOTO(g->r1s_re, GEN_NF, "frequencies");
    FCFIT_ALLOC_GOTO(g->r1s_im, GEN_NF, "frequencies");
    FCFIT_ALLOC_GOTO(g->blk, 12 * GEN_BLOCK, "recursion state");
    {
        double best = INFINITY;
        for (size_t k = 0; k < g->n; k++) {
            g->V[k] = GEN_VLB + (double)k * GEN_DV;
            g->psi[k] = nr->DeltaT * exp((g->V[k] - nr->VT) / nr->DeltaT);
            if (fabs(g->V[k] - nr->Vr) < best) {
                best = fabs(g->V[k] - nr->Vr);
                g->kr = k;
            }
        }
    }
    for (size_t m = 0; m < GEN_NF; m++) {
        const double f = GEN_DF * (double)(m + 1);
        const double w = 2.0 * M_PI * f;
        g->f[m] = f;
        g->wdv[m] = w * GEN_DV;
        g->ref_re[m] = cos(w * nr->Tref);
        g->ref_im[m] = -sin(w * nr->Tref);
    }
    *gen = g;
    return FCFIT_OK;
cleanup:
    fcfit_aln_gen_destroy(&g);
    return st;
}

/* Coefficients A_k, B_k for (mu, sigma). */
static void gen_coefficients(fcfit_aln_gen *g, double mu, double sigma)
{
    const double c = 2.0 / (sigma * sigma);
    const double EL = g->nr.EL, taum = g->taum;
    for (size_t k = 0; k < g->n; k++) {
        const double F = c * ((g->V[k] - EL - g->psi[k]) / taum - mu);
        const double A = exp(GEN_DV * F);
        g->A[k] = A;
        g->B[k] = F != 0.0 ? c * (A - 1.0) / F : c * GEN_DV;
    }
}

/*
 * Stationary density into g->p (normalised to one) from the current
 * coefficients; returns the rate without refractoriness (kHz), or a
 * non-finite value when the density overflowed.
 */
static double gen_density(fcfit_aln_gen *g)
{
    const size_t n = g->n, kr = g->kr;
    double *p = g->p, sum = 0.0;
    p[n - 1] = 0.0;
    for (size_t k = n - 1; k > kr; k--) {
        p[k - 1] = p[k] * g->A[k] + g->B[k];
    }
    for (size_t k = kr; k > 0; k--) {
        p[k - 1] = p[k] * g->A[k];
    }
    for (size_t k = 0; k < n; k++) {
        sum += p[k];
    }
    const double r = 1.0 / (GEN_DV * sum);
    for (size_t k = 0; k < n; k++) {
        p[k] *= r;
    }
    return r;
}

/* Complex division a/b by Smith's method (no overflow from squaring |b|). */
static void cdiv(double ar, double ai, double br, double bi, double *re, double *im)
{
    if (fabs(br) >= fabs(bi)) {
        const double rat = bi / br, scl = 1.0 / (br + bi * rat);
        *re = (ar + ai * rat) * scl;
        *im = (ai - ar * rat) * scl;
    } else {
        const double rat = br / bi, scl = 1.0 / (bi + br * rat);
        *re = (ar * rat + ai) * scl;
        *im = (ai * rat - ar) * scl;
    }
}

/*
 * The complex recursions for all frequencies, blockwise. Block state:
 * qa, pa (homogeneous), qm, pm (mu-driven), qs, ps (sigma-driven), each
 * re/im, GEN_BLOCK entries.
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void gen_response(fcfit_aln_gen *g)
{
    const size_t n = g->n, kr = g->kr;
    const double *restrict A = g->A, *restrict B = g->B, *restrict hm = g->hm,
                           *restrict hs = g->hs;
    for (size_t f0 = 0; f0 < GEN_NF; f0 += GEN_BLOCK) {
        const size_t nb = GEN_NF - f0 < GEN_BLOCK ? GEN_NF - f0 : GEN_BLOCK;
        double *restrict qar = g->blk, *restrict qai = qar + GEN_BLOCK;
        double *restrict par = qai + GEN_BLOCK, *restrict pai = par + GEN_BLOCK;
        double *restrict qmr = pai + GEN_BLOCK, *restrict qmi = qmr + GEN_BLOCK;
        double *restrict pmr = qmi + GEN_BLOCK, *restrict pmi = pmr + GEN_BLOCK;
        double *restrict qsr = pmi + GEN_BLOCK, *restrict qsi = qsr + GEN_BLOCK;
        double *restrict psr = qsi + GEN_BLOCK, *restrict psi = psr + GEN_BLOCK;
        const double *restrict wd = g->wdv + f0;
        const double *restrict rfr = g->ref_re + f0, *restrict rfi = g->ref_im + f0;
        for (size_t j = 0; j < nb; j++) {
            qar[j] = 1.0;
            qai[j] = pai[j] = par[j] = 0.0;
            qmr[j] = qmi[j] = pmr[j] = pmi[j] = 0.0;
            qsr[j] = qsi[j] = psr[j] = psi[j] = 0.0;
        }
        for (size_t k = n - 1; k > 0; k--) {
            const double a = A[k], b = B[k], um = hm[k], us = hs[k];
            if (k != kr + 1) {
                for (size_t j = 0; j < nb; j++) {
                    const double nqr = qar[j] - wd[j] * pai[j];
                    const double nqi = qai[j] + wd[j] * par[j];
                    const double npr = par[j] * a + b * qar[j];
                    const double npi = pai[j] * a + b * qai[j];
                    const double nmr = pmr[j] * a + b * (qmr[j] - um);
                    const double nmi = pmi[j] * a + b * qmi[j];
                    const double nsr = psr[j] * a + b * (qsr[j] - us);
                    const double nsi = psi[j] * a + b * qsi[j];
                    qmr[j] = qmr[j] - wd[j] * pmi[j];
                    qmi[j] = qmi[j] + wd[j] * pmr[j];
                    qsr[j] = qsr[j] - wd[j] * psi[j];
                    qsi[j] = qsi[j] + wd[j] * psr[j];
                    qar[j] = nqr;
                    qai[j] = nqi;
                    par[j] = npr;
                    pai[j] = npi;
                    pmr[j] = nmr;
                    pmi[j] = nmi;
                    psr[j] = nsr;
                    psi[j] = nsi;
                }
            } else {
                /* At the reset the homogeneous flux gains the re-entering flux, delayed by
                 * the refractory period (the reference scheme's source term). */
                for (size_t j = 0; j < nb; j++) {
                    const double nqr = qar[j] - wd[j] * qai[j] - rfr[j];
                    const double nqi = qai[j] + wd[j] * qar[j] - rfi[j];
                    const double npr = par[j] * a + b * qar[j];
                    const double npi = pai[j] * a + b * qai[j];
                    const double nmr = pmr[j] * a + b * (qmr[j] - um);
                    const double nmi = pmi[j] * a + b * qmi[j];
                    const double nsr = psr[j] * a + b * (qsr[j] - us);
                    const double nsi = psi[j] * a + b * qsi[j];
                    qmr[j] = qmr[j] - wd[j] * pmi[j];
                    qmi[j] = qmi[j] + wd[j] * pmr[j];
                    qsr[j] = qsr[j] - wd[j] * psi[j];
                    qsi[j] = qsi[j] + wd[j] * psr[j];
                    qar[j] = nqr;
                    qai[j] = nqi;
                    par[j] = npr;
                    pai[j] = npi;
                    pmr[j] = nmr;
                    pmi[j] = nmi;
                    psr[j] = nsr;
                    psi[j] = nsi;
                }
            }
        }
        /* r1 = -q1b / q1a (the magnitudes can exceed 1e154: divide without squaring). */
        for (size_t j = 0; j < nb; j++) {
            cdiv(-qmr[j], -qmi[j], qar[j], qai[j], &g->r1m_re[f0 + j], &g->r1m_im[f0 + j]);
            cdiv(-qsr[j], -qsi[j], qar[j], qai[j], &g->r1s_re[f0 + j], &g->r1s_im[f0 + j]);
        }
    }
}

/* Squared distance between the low-pass 1/(1 + i 2 pi f tau) and the response R. */
static double fit_error(const double *f, const double *Rr, const double *Ri, double tau)
{
    double e = 0.0;
    for (size_t m = 0; m < GEN_NF; m++) {
        const double x = 2.0 * M_PI * f[m] * tau;
        const double d = 1.0 + x * x;
        const double dr = 1.0 / d - Rr[m];
        const double di = -x / d - Ri[m];
        e += dr * dr + di * di;
    }
    return e;
}

/* Two-stage grid search: 0.001 + j ms (j < 100), then steps of 0.01 ms around the best. */
static double fit_tau(const double *f, const double *Rr, const double *Ri)
{
    size_t jb = 0;
    double eb = INFINITY;
    for (size_t j = 0; j < 100; j++) {
        const double e = fit_error(f, Rr, Ri, 0.001 + (double)j * 1.0);
        if (e < eb) {
            eb = e;
            jb = j;
        }
    }
    const double lb = jb > 0 ? 0.001 + (double)(jb - 1) : 0.001;
    const double ub = jb < 99 ? 0.001 + (double)(jb + 1) : 100.0;
    const size_t nk = (size_t)ceil((ub - lb) / 0.01);
    double tb = lb;
    eb = INFINITY;
    for (size_t k = 0; k < nk; k++) {
        const double tau = lb + (double)k * 0.01;
        const double e = fit_error(f, Rr, Ri, tau);
        if (e < eb) {
            eb = e;
            tb = tau;
        }
    }
    return tb;
}

fcfit_status fcfit_aln_gen_point(fcfit_aln_gen *g, double mu, double sigma, fcfit_aln_point *out)
{
    const size_t n = g->n, kr = g->kr;
    const double Tref = g->nr.Tref, taum = g->taum, EL = g->nr.EL;

    FCFIT_REQUIRE(isfinite(mu) && isfinite(sigma) && sigma > 0.0, FCFIT_ERR_ARG,
                  "ALN tables: need finite mu and sigma > 0 (got mu %g, sigma %g)", mu, sigma);
    /* Rate at sigma + dsig (for dr/dsigma). */
    gen_coefficients(g, mu, sigma + GEN_DSIG);
    const double r_s = gen_density(g);
    gen_coefficients(g, mu, sigma);
    const double r = gen_density(g);
    FCFIT_REQUIRE(isfinite(r) && isfinite(r_s) && r > 0.0, FCFIT_ERR_NUMERIC,
                  "ALN tables: the stationary density at mu %g, sigma %g is not finite", mu, sigma);
    const double r_ref = r / (1.0 + r * Tref);
    const double rs_ref = r_s / (1.0 + r_s * Tref);
    const double dr_dsigma = (rs_ref - r_ref) / GEN_DSIG;
    double vm = 0.0;
    for (size_t k = 0; k < n; k++) {
        vm += g->V[k] * g->p[k];
    }
    vm *= GEN_DV;

    /* Inhomogeneities from the refractory-scaled density and flux. */
    const double scale = r_ref / r;
    const double ks = GEN_DSIG * 2.0 / sigma;
    for (size_t k = 0; k < n; k++) {
        const double pr = scale * g->p[k];
        const double qr = k >= kr ? r_ref : 0.0;
        const double drift = (mu + (EL - g->V[k] + g->psi[k]) / taum) * pr;
        g->hm[k] = GEN_DMU * pr;
        g->hs[k] = ks * (qr - drift);
    }
    gen_response(g);

    /* Normalised responses, fitted in place. */
    {
        const double n0r = g->r1m_re[0], n0i = g->r1m_im[0];
        for (size_t m = 0; m < GEN_NF; m++) {
            cdiv(g->r1m_re[m], g->r1m_im[m], n0r, n0i, &g->r1m_re[m], &g->r1m_im[m]);
        }
    }
    out->r_ss = r_ref;
    out->V_mean_ss = vm;
    out->tau_mu_exp = fit_tau(g->f, g->r1m_re, g->r1m_im);
    if (dr_dsigma > 0.0) {
        for (size_t m = 0; m < GEN_NF; m++) {
            cdiv(g->r1s_re[m], g->r1s_im[m], GEN_DSIG, 0.0, &g->r1s_re[m], &g->r1s_im[m]);
            cdiv(g->r1s_re[m], g->r1s_im[m], dr_dsigma, 0.0, &g->r1s_re[m], &g->r1s_im[m]);
        }
        out->tau_sigma_exp = fit_tau(g->f, g->r1s_re, g->r1s_im);
    } else {
        out->tau_sigma_exp = 0.0;
    }
    return FCFIT_OK;
}

fcfit_status fcfit_aln_gen_column(fcfit_aln_gen *g, fcfit_aln_tables *t, size_t s)
{
    const fcfit_aln_grid *gr = &t->grid;
    FCFIT_REQUIRE(s < gr->n_sigma, FCFIT_ERR_ARG, "ALN tables: sigma column %zu of %zu", s,
                  gr->n_sigma);
    const double sigma = gr->sigma0 + (double)s * gr->dsigma;
    for (size_t m = 0; m < gr->n_mu; m++) {
        fcfit_aln_point pt;
        const size_t k = m * gr->n_sigma + s;
        FCFIT_CHECK(fcfit_aln_gen_point(g, gr->mu0 + (double)m * gr->dmu, sigma, &pt));
        t->r_ss[k] = pt.r_ss;
        t->V_mean_ss[k] = pt.V_mean_ss;
        t->tau_mu_exp[k] = pt.tau_mu_exp;
        t->tau_sigma_exp[k] = pt.tau_sigma_exp;
    }
    return FCFIT_OK;
}

double fcfit_aln_lookup(const fcfit_aln_grid *g, const double *table, double mu, double sigma)
{
    const size_t lm = g->n_mu - 1, ls = g->n_sigma - 1;
    double xm = (mu - g->mu0) / g->dmu, xs = (sigma - g->sigma0) / g->dsigma;
    xm = xm > 0.0 ? xm : 0.0;
    xm = xm < (double)lm ? xm : (double)lm;
    xs = xs > 0.0 ? xs : 0.0;
    xs = xs < (double)ls ? xs : (double)ls;
    size_t m = (size_t)xm, s = (size_t)xs;
    m = m < lm ? m : lm - 1;
    s = s < ls ? s : ls - 1;
    const double fm = xm - (double)m, fs = xs - (double)s;
    const double *r0 = table + m * g->n_sigma + s, *r1 = r0 + g->n_sigma;
    return r0[0] * (1.0 - fs) * (1.0 - fm) + r0[1] * fs * (1.0 - fm) + r1[0] * (1.0 - fs) * fm +
           r1[1] * fs * fm;
}
