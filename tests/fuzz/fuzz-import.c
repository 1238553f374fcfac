/*
 * fuzz-import.c - libFuzzer target for `tollgate import`: any bytes go
 * through import_markdown() (the mojibake repair, cmark-gfm, the section
 * mappers, the YAML writer). It must not crash or leak; an import that
 * succeeds must give a plan that loads with no error (the command refuses
 * to write one that does not: a failure here is a bug of the import), and a
 * refusal must say why (ERR_USAGE with a message).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "import/import.h"
#include "plan/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct import_result r;
	struct err e;
	err_init(&e);
	if (import_markdown("fuzz.md", (const char *)data, size, &r, &e) == 0) {
		struct plan_diags d;
		struct plan *p;
		plan_diags_init(&d, "fuzz.yaml");
		p = plan_load_buffer("fuzz.yaml", r.yaml, r.yaml_len, &d);
		if (!p)
			__builtin_trap();
		plan_free(p);
		plan_diags_release(&d);
		import_result_release(&r);
	} else if (e.code != ERR_USAGE || !e.msg[0]) {
		__builtin_trap();
	}
	return 0;
}
