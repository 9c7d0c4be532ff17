/*
 * aln_compact.c: the compact form of the default ALN tables and the built-in
 * copy compiled from it (see fcfit_aln_tables.h).
 *
 * The generator's fitted taus are lb + k*0.01 with lb = 0.001 + j (j the
 * coarse bracket, 0..99) and k < 256: a 16-bit code j*256 + k rebuilds the
 * same double. Rates and mean voltages are stored as the doubles themselves.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fcfit/fcfit_aln_tables.h"

/* Generated at build time from src/tables/aln_default_tables.bin. */
extern const unsigned char fcfit_aln_default_blob[];
extern const size_t fcfit_aln_default_blob_size;

#define TAU_ZERO 0xffffu

static size_t n_points(void)
{
    fcfit_aln_grid g;
    fcfit_aln_grid_default(&g);
    return g.n_mu * g.n_sigma;
}

size_t fcfit_aln_compact_size(void) { return n_points() * (8 + 8 + 2 + 2); }

static double tau_decode(unsigned code)
{
    if (code == TAU_ZERO) {
        return 0.0;
    }
    return (0.001 + (double)(code >> 8)) + (double)(code & 0xffu) * 0.01;
}

static int tau_encode(double tau, unsigned *code)
{
    if (tau == 0.0) {
        *code = TAU_ZERO;
        return 1;
    }
    const double j0 = floor(tau - 0.001);
    for (int dj = -2; dj <= 0; dj++) {
        const double j = j0 + dj;
        if (j < 0.0 || j > 99.0) {
            continue;
        }
        const double k = nearbyint((tau - (0.001 + j)) / 0.01);
        if (k >= 0.0 && k < 256.0) {
            const unsigned c = (unsigned)j * 256u + (unsigned)k;
            if (tau_decode(c) == tau) {
                *code = c;
                return 1;
            }
        }
    }
    return 0;
}

static void put_f64(unsigned char *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(u >> (8 * i));
    }
}

static double get_f64(const unsigned char *b)
{
    uint64_t u = 0;
    double v;
    for (int i = 0; i < 8; i++) {
        u |= (uint64_t)b[i] << (8 * i);
    }
    memcpy(&v, &u, sizeof v);
    return v;
}

static int is_default(const fcfit_aln_tables *t)
{
    fcfit_aln_grid g;
    fcfit_aln_neuron nr;
    fcfit_aln_grid_default(&g);
    fcfit_aln_neuron_default(&nr);
    return memcmp(&g, &t->grid, sizeof g) == 0 && memcmp(&nr, &t->neuron, sizeof nr) == 0;
}

fcfit_status fcfit_aln_compact_pack(const fcfit_aln_tables *t, unsigned char *buf)
{
    const size_t n = n_points();
    FCFIT_REQUIRE(is_default(t), FCFIT_ERR_ARG,
                  "the compact form holds only tables of the default neuron and grid");
    for (size_t k = 0; k < n; k++) {
        unsigned cm, cs;
        put_f64(buf + 8 * k, t->r_ss[k]);
        put_f64(buf + 8 * (n + k), t->V_mean_ss[k]);
        FCFIT_REQUIRE(tau_encode(t->tau_mu_exp[k], &cm) && tau_encode(t->tau_sigma_exp[k], &cs),
                      FCFIT_ERR_ARG, "ALN table entry %zu: tau is not on the generator's grid", k);
        buf[16 * n + 2 * k] = (unsigned char)(cm & 0xffu);
        buf[16 * n + 2 * k + 1] = (unsigned char)(cm >> 8);
        buf[18 * n + 2 * k] = (unsigned char)(cs & 0xffu);
        buf[18 * n + 2 * k + 1] = (unsigned char)(cs >> 8);
    }
    return FCFIT_OK;
}

fcfit_status fcfit_aln_compact_unpack(const unsigned char *buf, size_t size, fcfit_aln_tables **t)
{
    const size_t n = n_points();
    fcfit_aln_grid g;
    fcfit_aln_neuron nr;
    fcfit_aln_tables *o = NULL;

    *t = NULL;
    FCFIT_REQUIRE(size == fcfit_aln_compact_size(), FCFIT_ERR_INPUT,
                  "compact ALN tables: %zu bytes, expected %zu", size, fcfit_aln_compact_size());
    fcfit_aln_grid_default(&g);
    fcfit_aln_neuron_default(&nr);
    FCFIT_CHECK(fcfit_aln_tables_create(&o, &g, &nr));
    for (size_t k = 0; k < n; k++) {
        o->r_ss[k] = get_f64(buf + 8 * k);
        o->V_mean_ss[k] = get_f64(buf + 8 * (n + k));
        o->tau_mu_exp[k] = tau_decode(buf[16 * n + 2 * k] | (unsigned)buf[16 * n + 2 * k + 1] << 8);
        o->tau_sigma_exp[k] =
            tau_decode(buf[18 * n + 2 * k] | (unsigned)buf[18 * n + 2 * k + 1] << 8);
    }
    *t = o;
    return FCFIT_OK;
}

fcfit_status fcfit_aln_tables_builtin(fcfit_aln_tables **t)
{
    FCFIT_CHECK(fcfit_aln_compact_unpack(fcfit_aln_default_blob, fcfit_aln_default_blob_size, t));
    return FCFIT_OK;
}
