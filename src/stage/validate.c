/*
 * validate.c: the validate stage. It takes M distinct candidates from the
 * earlier stages: first each stage's best row (so that, say, the best
 * homogeneous point of optimize and the best regional point of refine are
 * compared under the same fresh noise), then the best rows of all stages by
 * their fitted loss (ties by stage order and row). It
 * re-simulates each with V fresh noise seeds that no fitting stage used (row
 * r of this stage is its own task, so its seeds are derive(seed, task, v)),
 * and the coordinator stores the mean and standard error of every score. The
 * job's answer is the candidate with the best validated mean. Candidates
 * are fixed when the stage starts, from the earlier stages' rows alone, so a
 * resumed run validates the same candidates.
 */
#include <stdlib.h>
#include <string.h>

#include "stage/stage_impl.h"

typedef struct validate_impl {
    size_t n, next, told;
    ranked_row *cand;
} validate_impl;

static fcfit_status validate_create(fcfit_search *s)
{
    const fcfit_stage *st = s->su.stage;
    fcfit_book *book = s->su.book;
    validate_impl *v = calloc(1, sizeof *v);
    FCFIT_REQUIRE(v != NULL, FCFIT_ERR_NOMEM, "cannot allocate the validation");
    s->impl = v;
    v->cand = calloc(st->n_candidates, sizeof *v->cand);
    FCFIT_REQUIRE(v->cand != NULL, FCFIT_ERR_NOMEM, "cannot allocate the candidates");
    FCFIT_CHECK(search_stage_bests_first(&s->su, st->n_candidates, v->cand,
                                         book->region_params, &v->n));
    FCFIT_REQUIRE(v->n > 0, FCFIT_ERR_CONFIG,
                  "validate: the earlier stages have no successful evaluation to validate (every "
                  "row failed; see fcfit report)");
    memcpy(book->base, s->su.job_params, st->n_params * st->n_regions * sizeof(double));
    book->base_set = 1;
    return FCFIT_OK;
}

static void validate_destroy(fcfit_search *s)
{
    validate_impl *v = s->impl;
    if (v != NULL) {
        free(v->cand);
        free(v);
    }
    s->impl = NULL;
}

static int validate_next(fcfit_search *s, fcfit_request *req)
{
    validate_impl *v = s->impl;
    const fcfit_stage *st = s->su.stage;
    const size_t np = st->n_params * st->n_regions;
    if (v->next >= v->n) {
        return 0;
    }
    memset(req, 0, sizeof *req);
    req->row = v->next;
    req->x = NULL;
    req->params = s->su.book->region_params + v->next * np;
    req->seed_task = st->task_base + v->next;
    req->instance = -1;
    req->eval_index = -1;
    req->source_stage = (int64_t)v->cand[v->next].book->stage->kind;
    req->source_row = (int64_t)v->cand[v->next].row;
    v->next++;
    return 1;
}

static fcfit_status validate_tell(fcfit_search *s, size_t row, int status, double loss)
{
    validate_impl *v = s->impl;
    (void)row;
    (void)status;
    (void)loss;
    v->told++;
    return FCFIT_OK;
}

static int validate_done(const fcfit_search *s)
{
    const validate_impl *v = s->impl;
    return v->told == v->n;
}

static size_t validate_n_instances(const fcfit_search *s)
{
    (void)s;
    return 0;
}

static void validate_instance(const fcfit_search *s, size_t i, fcfit_instance_summary *out)
{
    (void)s;
    (void)i;
    (void)out;
}

const search_ops search_validate_ops = {validate_create, validate_destroy,     validate_next,
                                        validate_tell,   validate_done,        validate_n_instances,
                                        validate_instance};
