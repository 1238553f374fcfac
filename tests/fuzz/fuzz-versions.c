/*
 * fuzz-versions.c - libFuzzer target for the versions file of
 * `record --versions FILE` (lines "PROJECT VERSION"): any bytes go through
 * action_parse_versions() against a small plan; a parse that succeeds must
 * name only the plan's projects, each once, with a non-empty version and a
 * line inside the input; a failure must leave a message and nothing parsed.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/actions.h"
#include "plan/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char plan_text[] =
	"version: 1\n"
	"plan: {id: fuzz, title: Fuzz}\n"
	"environments: [{name: dev}, {name: sit}]\n"
	"waves: [{id: w1, title: One}]\n"
	"projects:\n"
	"  - {id: api, wave: w1, deploy: 'true'}\n"
	"  - {id: db, wave: w1, deploy: 'true'}\n"
	"  - {id: web.front_2, wave: w1, deploy: 'true'}\n";

static struct plan *plan;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct action_versions l;
	struct err e;
	size_t lines = 1;

	if (!plan) {
		struct plan_diags d;
		plan_diags_init(&d, "fuzz.yaml");
		plan = plan_load_buffer("fuzz.yaml", plan_text, sizeof(plan_text) - 1, &d);
		plan_diags_release(&d);
		if (!plan)
			__builtin_trap();
	}
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	err_init(&e);
	if (action_parse_versions(plan, "fuzz.txt", (const char *)data, size, &l, &e) == 0) {
		if (e.code != ERR_NONE || l.n == 0)
			__builtin_trap();
		for (size_t i = 0; i < l.n; i++) {
			if (plan_project_index(plan, l.v[i].project) < 0 || !l.v[i].version[0] ||
			    l.v[i].line < 1 || (size_t)l.v[i].line > lines)
				__builtin_trap();
			for (size_t j = 0; j < i; j++)
				if (!strcmp(l.v[i].project, l.v[j].project))
					__builtin_trap();
		}
		action_versions_release(&l);
	} else if (e.code == ERR_NONE || !e.msg[0] || l.n) {
		__builtin_trap();
	} else {
		action_versions_release(&l);
	}
	return 0;
}
