/*
 * fuzz-plan.c - libFuzzer target for the plan loader: any bytes go through
 * plan_load_buffer(); a loaded plan is queried like the rest of tollgate
 * queries it, then everything is freed (leaks are findings too).
 */
#include <stddef.h>
#include <stdint.h>

#include "plan/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan_diags d;
	struct plan *p;

	plan_diags_init(&d, "fuzz.yaml");
	p = plan_load_buffer("fuzz.yaml", (const char *)data, size, &d);
	plan_diags_sort(&d);
	if (p) {
		for (size_t i = 0; i < p->nprojects; i++) {
			const struct plan_project *pr = &p->projects[i];
			if (plan_project_index(p, pr->id) != (int)i || pr->wave < 0 ||
			    pr->wave >= (int)p->nwaves)
				__builtin_trap();
			for (size_t j = 0; j < pr->depends_on.n; j++)
				if (pr->depends_on.idx[j] < 0 ||
				    pr->depends_on.idx[j] >= (int)p->nprojects)
					__builtin_trap();
			(void)plan_project_target(pr, 1);
		}
		for (size_t i = 0; i < p->nprojects; i++)
			if (p->topo[i] < 0 || p->topo[i] >= (int)p->nprojects)
				__builtin_trap();
		for (size_t i = 0; i < p->ngates; i++)
			(void)plan_gate_covers_wave(&p->gates[i], 0);
		for (size_t i = 0; i < p->nitems; i++)
			(void)plan_item_applies(&p->items[i], 1, 0);
		(void)plan_overall_risk(p);
		(void)plan_suggest_env(p, "prd");
		(void)plan_suggest_project(p, "api");
	}
	plan_free(p);
	plan_diags_release(&d);
	return 0;
}
