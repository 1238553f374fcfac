/*
 * test-plan-cache.c - a plan read back from its compiled cache must be the
 * plan parsed from YAML: the JSON report (which prints every part of the
 * model) and the markdown report are compared byte for byte; a cut-short,
 * foreign, stale, disabled or damaged cache (a byte changed at each of many
 * offsets) falls back to parsing; a forged cache whose checksum was made to
 * match is either refused or read without a read out of bounds (run under
 * ASan); two plans are open from their caches at once.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>


#include "plan/plan-internal.h"
#include "engine/state.h"
#include "plan/plan.h"
#include "report/report.h"
#include "test.h"

static char dir[256];
static char plan_path[300];
static char cache_path[320];

static char *render(struct plan *p, enum report_format f)
{
	struct state st;
	struct strbuf sb = STRBUF_INIT;
	struct err e;
	err_init(&e);
	state_init_empty(&st, p);
	CHECK(report_render(p, &st, f, 1767950000, &sb, &e) == 0);
	state_release(&st);
	return strbuf_detach(&sb);
}

static struct plan *load(bool cached)
{
	struct plan_diags d;
	struct plan *p;
	plan_diags_init(&d, plan_path);
	p = cached ? plan_load_cached(plan_path, &d) : plan_load(plan_path, &d);
	CHECK(p != NULL);
	CHECK_INT(d.nerrors, 0);
	plan_diags_release(&d);
	return p;
}

static void copy_example(void)
{
	const char *src = getenv("TOLLGATE_SRC");
	char *cmd;
	snprintf(dir, sizeof(dir), "/tmp/tollgate-plan-cache.XXXXXX");
	if (!mkdtemp(dir))
		BUG("mkdtemp");
	snprintf(plan_path, sizeof(plan_path), "%s/tollgate.yaml", dir);
	snprintf(cache_path, sizeof(cache_path), "%s/.tollgate/tollgate.yaml.cache", dir);
	cmd = xasprintf("cp '%s/examples/q1-2026/tollgate.yaml' '%s'", src ? src : ".", plan_path);
	CHECK(system(cmd) == 0);
	free(cmd);
}

static void test_same_plan(void)
{
	struct plan *parsed = load(false), *first = load(true), *second;
	char *a, *b, *c, *am, *cm;
	struct stat st;

	CHECK(first->cache_image == NULL); /* first run: parsed, cache written */
	CHECK(stat(cache_path, &st) == 0);
	second = load(true);
	CHECK(second->cache_image != NULL); /* second run: read back */
	a = render(parsed, REPORT_JSON);
	b = render(first, REPORT_JSON);
	c = render(second, REPORT_JSON);
	CHECK_STR(a, b);
	CHECK_STR(a, c);
	am = render(parsed, REPORT_MD);
	cm = render(second, REPORT_MD);
	CHECK_STR(am, cm);
	/* the lookups work on the rebuilt maps */
	CHECK(plan_project_index(second, "backend_public") ==
	      plan_project_index(parsed, "backend_public"));
	CHECK(plan_gate_index(second, "gate-3") >= 0);
	CHECK_STR(second->path, plan_path);
	CHECK_STR(second->dir, dir);
	for (size_t i = 0; i < parsed->nprojects; i++)
		CHECK_INT(second->topo[i], parsed->topo[i]);
	free(a), free(b), free(c), free(am), free(cm);
	plan_free(parsed);
	plan_free(first);
	plan_free(second);
}

static void test_damaged_cache(void)
{
	struct plan *p, *q;
	struct stat st;
	FILE *f;

	/* a cut-short cache (its size no longer matches its header) */
	CHECK(stat(cache_path, &st) == 0);
	CHECK(truncate(cache_path, st.st_size - 100) == 0);
	p = load(true);
	CHECK(p->cache_image == NULL);
	CHECK(plan_project_index(p, "order_lambda") >= 0);
	plan_free(p);
	p = load(true); /* rewritten by the load above */
	CHECK(p->cache_image != NULL);

	/* the same plan twice at once: two images, anywhere */
	q = load(true);
	CHECK(q->cache_image != NULL && q->cache_image != p->cache_image);
	CHECK(plan_project_index(q, "order_lambda") == plan_project_index(p, "order_lambda"));
	plan_free(q);
	plan_free(p);

	/* a header that is not ours */
	f = fopen(cache_path, "r+b");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs("GARBAGE!", f);
	fclose(f);
	p = load(true);
	CHECK(p->cache_image == NULL);
	plan_free(p);
	p = load(true);
	CHECK(p->cache_image != NULL);
	plan_free(p);
}


static unsigned char *read_whole(const char *path, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	if (strbuf_read_file(&sb, path, 64 << 20) < 0)
		BUG("read %s", path);
	*len = sb.len;
	return (unsigned char *)strbuf_detach(&sb);
}

static void write_whole(const char *path, const unsigned char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		BUG("write %s", path);
}

/* The cache's layout as plan-cache.c writes it: header, then the image; the
 * checksum (8 bytes, 16 before the header's end) is plan_cache_checksum of
 * the header with a zero checksum, then the image. */
static size_t HEADER_SIZE = 168; /* checked against the file's own */
static void fix_checksum(unsigned char *buf, size_t len)
{
	uint64_t sum;
	memset(buf + HEADER_SIZE - 16, 0, 8);
	sum = plan_cache_checksum(buf, HEADER_SIZE, buf + HEADER_SIZE, len - HEADER_SIZE);
	memcpy(buf + HEADER_SIZE - 16, &sum, 8);
}

/*
 * A byte changed at each of many offsets (same length): the checksum no
 * longer matches and the plan is parsed, so what every report shows is the
 * parsed plan's. Then the same with the checksum made to match again (a
 * forged cache): every such cache is refused or read in bounds; a change to
 * a pointer, count, index or id is refused; a changed text byte may be read
 * (the checksum is no signature: docs/plan.md).
 */
static void test_flipped_bytes(void)
{
	struct plan *parsed = load(false), *p;
	char *want = render(parsed, REPORT_JSON), *got;
	unsigned char *orig, *buf;
	size_t len, tried = 0, fallbacks = 0, forged_refused = 0, forged_read = 0;
	uint64_t strings_off;

	plan_free(load(true)); /* make sure the cache is there */
	orig = read_whole(cache_path, &len);
	CHECK(len > HEADER_SIZE + sizeof(struct plan));
	CHECK_INT(orig[8] | orig[9] << 8, HEADER_SIZE);
	memcpy(&strings_off, orig + HEADER_SIZE - 24, 8);
	CHECK(strings_off > sizeof(struct plan) && strings_off < len - HEADER_SIZE);
	buf = xmalloc(len);
	for (size_t off = 0; off < len; off += (off < HEADER_SIZE ? 1 : 23)) {
		memcpy(buf, orig, len);
		buf[off] ^= (unsigned char)(0x01 << (off % 8)) | 0x10;
		write_whole(cache_path, buf, len);
		p = load(true);
		tried++;
		fallbacks += p->cache_image == NULL;
		got = render(p, REPORT_JSON);
		if (strcmp(got, want)) {
			CHECK_STR(got, want);
			fprintf(stderr, "  a byte changed at offset %zu\n", off);
			free(got);
			plan_free(p);
			break;
		}
		free(got);
		plan_free(p);

		if (off < HEADER_SIZE)
			continue;
		/* forged: the checksum matches again */
		fix_checksum(buf, len);
		write_whole(cache_path, buf, len);
		p = load(true);
		if (p->cache_image) {
			forged_read++;
			/* whatever it says, it can be read and rendered */
			free(render(p, REPORT_JSON));
			free(render(p, REPORT_MD));
		} else {
			forged_refused++;
		}
		plan_free(p);
	}
	printf("  %zu damaged caches, %zu parsed instead; %zu forged: %zu refused, %zu read\n",
	       tried, fallbacks, forged_refused + forged_read, forged_refused, forged_read);
	CHECK_INT(fallbacks, tried);
	CHECK(forged_refused > 0);
	write_whole(cache_path, orig, len);
	p = load(true);
	CHECK(p->cache_image != NULL);
	plan_free(p);
	free(orig);
	free(buf);
	free(want);
	plan_free(parsed);
}

/* A forged cache whose project array pointer, count or a depends_on index
 * was changed (checksum fixed) is refused: found by looking the values up
 * in the image. */
static void test_forged_fields(void)
{
	struct plan *parsed = load(false), *p;
	unsigned char *orig, *buf, *img;
	size_t len;
	uint64_t v;
	struct plan hdr;

	plan_free(load(true));
	orig = read_whole(cache_path, &len);
	img = orig + HEADER_SIZE;
	memcpy(&hdr, img, sizeof(hdr));
	buf = xmalloc(len);

	struct {
		const char *what;
		size_t at;
		uint64_t value;
	} cases[] = {
		{ "nprojects + 1", offsetof(struct plan, nprojects), parsed->nprojects + 1 },
		{ "nprojects huge", offsetof(struct plan, nprojects), (uint64_t)1 << 61 },
		{ "projects one element on", offsetof(struct plan, projects),
		  (uint64_t)(uintptr_t)hdr.projects + sizeof(struct plan_project) },
		{ "projects to the strings", offsetof(struct plan, projects),
		  (uint64_t)len - HEADER_SIZE - 1 },
		{ "projects far out", offsetof(struct plan, projects), (uint64_t)1 << 40 },
		{ "title out of the image", offsetof(struct plan, title), (uint64_t)len },
		{ "title into the structures", offsetof(struct plan, title), sizeof(struct plan) + 8 },
		{ "maps dropped", offsetof(struct plan, maps), 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, orig, len);
		v = cases[i].value;
		memcpy(buf + HEADER_SIZE + cases[i].at, &v, sizeof(v));
		fix_checksum(buf, len);
		write_whole(cache_path, buf, len);
		p = load(true);
		if (p->cache_image)
			fprintf(stderr, "  forged cache read: %s\n", cases[i].what);
		CHECK(p->cache_image == NULL);
		CHECK_INT(p->nprojects, parsed->nprojects);
		plan_free(p);
	}
	/* a project's wave index past the waves, and a dependency on itself */
	{
		size_t proj = (size_t)(uintptr_t)hdr.projects;
		int bad = (int)parsed->nwaves;
		memcpy(buf, orig, len);
		memcpy(buf + HEADER_SIZE + proj + offsetof(struct plan_project, wave), &bad, sizeof(bad));
		fix_checksum(buf, len);
		write_whole(cache_path, buf, len);
		p = load(true);
		CHECK(p->cache_image == NULL);
		plan_free(p);
	}
	/* a store_mode the loader never lets through (world-writable, with x) */
	{
		unsigned bad = 0777;
		memcpy(buf, orig, len);
		memcpy(buf + HEADER_SIZE + offsetof(struct plan, store_mode), &bad, sizeof(bad));
		fix_checksum(buf, len);
		write_whole(cache_path, buf, len);
		p = load(true);
		CHECK(p->cache_image == NULL);
		CHECK_INT(p->store_mode, parsed->store_mode);
		plan_free(p);
	}
	write_whole(cache_path, orig, len);
	free(orig);
	free(buf);
	plan_free(parsed);
}

/* Two different plans read from their caches at once, each equal to its
 * parse. */
static void test_two_plans(void)
{
	const char *src = getenv("TOLLGATE_SRC");
	char *other = xasprintf("%s/other.yaml", dir), *cmd;
	struct plan_diags d;
	struct plan *a, *b, *pa, *pb;
	char *ra, *rb, *rpa, *rpb;

	cmd = xasprintf("cp '%s/tests/fixtures/report-small.yaml' '%s'", src ? src : ".", other);
	CHECK(system(cmd) == 0);
	free(cmd);
	plan_diags_init(&d, other);
	plan_free(plan_load_cached(other, &d)); /* writes its cache */
	pb = plan_load(other, &d);
	b = plan_load_cached(other, &d);
	CHECK_INT(d.nerrors, 0);
	plan_diags_release(&d);
	plan_free(load(true));
	a = load(true);
	pa = load(false);
	CHECK(a && b && pb && a->cache_image && b->cache_image);
	if (!a || !b || !pb) {
		free(other);
		return;
	}
	CHECK(strcmp(a->id, b->id) != 0);
	ra = render(a, REPORT_JSON);
	rb = render(b, REPORT_JSON);
	rpa = render(pa, REPORT_JSON);
	rpb = render(pb, REPORT_JSON);
	CHECK_STR(ra, rpa);
	CHECK_STR(rb, rpb);
	CHECK_STR(b->path, other);
	free(ra), free(rb), free(rpa), free(rpb);
	plan_free(a);
	plan_free(b);
	plan_free(pa);
	plan_free(pb);
	free(other);
}

/* The default timeout is the loader's: every project, check and measure has
 * one, from the cache too; `0s` is the default. */
static void test_default_timeout(void)
{
	static const char text[] =
		"version: 1\nplan: {id: t}\nenvironments: [{name: dev}]\n"
		"waves: [{id: w1}]\n"
		"projects:\n  - {id: a, wave: w1, deploy: 'true'}\n"
		"  - {id: b, wave: w1, deploy: 'true', timeout: 0s}\n"
		"  - {id: c, wave: w1, deploy: 'true', timeout: 90s}\n";
	struct plan_diags d;
	struct plan *p;
	plan_diags_init(&d, "t.yaml");
	p = plan_load_buffer("t.yaml", text, sizeof(text) - 1, &d);
	CHECK(p != NULL);
	if (!p) {
		plan_diags_release(&d);
		return;
	}
	CHECK_INT(p->projects[0].timeout, PLAN_TIMEOUT_DEFAULT);
	CHECK_INT(p->projects[1].timeout, PLAN_TIMEOUT_DEFAULT);
	CHECK_INT(p->projects[2].timeout, 90);
	plan_free(p);
	plan_diags_release(&d);
	p = load(true);
	for (size_t i = 0; i < p->nprojects; i++)
		CHECK(p->projects[i].timeout > 0);
	for (size_t i = 0; i < p->nitems; i++)
		CHECK(p->items[i].timeout > 0);
	plan_free(p);
}

/* issue 11: triggers' `every` (the example's error-rate: 2m; the others the
 * default) comes back from the cache as parsed */
static void test_trigger_every(void)
{
	for (int pass = 0; pass < 3; pass++) {
		/* parsed, then cached (written), then read from the cache */
		struct plan *p = load(pass > 0);
		CHECK(p->ntriggers >= 2);
		for (size_t i = 0; i < p->ntriggers; i++)
			CHECK_INT(p->triggers[i].every, !strcmp(p->triggers[i].id, "error-rate")
								? 120
								: PLAN_TRIGGER_EVERY_DEFAULT);
		plan_free(p);
	}
}

/* issue 9 §5: the identity keys come back from the cache as parsed (and
 * issue 10's store_mode) */
static void test_identity_fields(void)
{
	static const char text[] =
		"version: 1\nplan: {id: ident}\nidentity: db\nstore_mode: \"0640\"\n"
		"environments: [{name: dev, promoters: [ci]}, {name: prod, promoters: [ops, ci]}]\n"
		"people:\n"
		"  - {id: ann, roles: [ops], login: [ann, ann2], db_user: ann_db}\n"
		"  - {id: bot, roles: [ci], login: runner}\n"
		"  - {id: q, name: TBD, roles: [qa], tbd: true}\n"
		"waves: [{id: w1}]\nprojects: [{id: a, wave: w1}]\n"
		"checklist: [{id: x, text: t, by: [qa, ops], applies: {env: prod}}]\n";
	char *path = xasprintf("%s/ident.yaml", dir);
	struct plan *p[3];
	struct plan_diags d;
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (!f) {
		free(path);
		return;
	}
	fputs(text, f);
	fclose(f);
	for (int i = 0; i < 3; i++) {
		plan_diags_init(&d, path);
		p[i] = i ? plan_load_cached(path, &d) : plan_load(path, &d);
		plan_diags_release(&d);
		CHECK(p[i] != NULL);
	}
	CHECK(p[2] && p[2]->cache_image != NULL);
	for (int i = 1; i < 3 && p[0] && p[i]; i++) {
		const struct plan *a = p[0], *b = p[i];
		CHECK_INT(b->identity, IDENTITY_DB);
		CHECK_INT(b->identity_set, a->identity_set);
		CHECK_INT(b->identity_loc.line, a->identity_loc.line);
		/* issue 10 §10: store_mode too */
		CHECK_INT(b->store_mode, 0640);
		CHECK_INT(b->store_mode_loc.line, a->store_mode_loc.line);
		CHECK_INT(plan_dir_mode(b), 0750);
		CHECK_INT(plan_dir_mode(NULL), 0700);
		for (size_t k = 0; k < a->npeople; k++) {
			CHECK_INT(b->people[k].nlogins, a->people[k].nlogins);
			for (size_t j = 0; j < a->people[k].nlogins; j++) {
				CHECK_STR(b->people[k].logins[j], a->people[k].logins[j]);
				CHECK_INT(b->people[k].login_locs[j].col, a->people[k].login_locs[j].col);
			}
			CHECK_INT(!b->people[k].db_user, !a->people[k].db_user);
			if (a->people[k].db_user)
				CHECK_STR(b->people[k].db_user, a->people[k].db_user);
			CHECK_INT(b->people[k].tbd, a->people[k].tbd);
		}
		for (size_t k = 0; k < a->nenvs; k++) {
			CHECK_INT(b->envs[k].npromoters, a->envs[k].npromoters);
			for (size_t j = 0; j < a->envs[k].npromoters; j++)
				CHECK_STR(b->envs[k].promoters[j], a->envs[k].promoters[j]);
		}
		CHECK_INT(b->items[0].nby, 2);
		CHECK_STR(b->items[0].by[1], "ops");
		CHECK_INT(plan_person_by_login(b, "runner"), 1);
		CHECK_INT(plan_person_by_db_user(b, "ann_db"), 0);
	}
	for (int i = 0; i < 3; i++)
		plan_free(p[i]);
	free(path);
}

static void test_changed_plan(void)
{
	struct plan *p;
	char *cmd = xasprintf("sed -i 's/title: Core APIs/title: Core APIs v2/' '%s'", plan_path);
	CHECK(system(cmd) == 0);
	free(cmd);
	p = load(true);
	CHECK(p->cache_image == NULL);
	CHECK_STR(p->waves[0].title, "Core APIs v2");
	plan_free(p);
	p = load(true);
	CHECK(p->cache_image != NULL);
	CHECK_STR(p->waves[0].title, "Core APIs v2");
	plan_free(p);
}

/* The first wave's title "Core APIs FROM" becomes "Core APIs TO" (as long):
 * other bytes, with the plan file's size, atime and mtime kept. */
static void retitle_keeping_times(const char *from, const char *to)
{
	struct timespec keep[2];
	struct stat st, now;
	char *cmd;

	CHECK(stat(plan_path, &st) == 0);
	keep[0] = st.st_atim;
	keep[1] = st.st_mtim;
	cmd = xasprintf("sed -i 's/title: Core APIs %s/title: Core APIs %s/' '%s'", from, to,
			plan_path);
	CHECK(system(cmd) == 0);
	free(cmd);
	CHECK(utimensat(AT_FDCWD, plan_path, keep, 0) == 0);
	CHECK(stat(plan_path, &now) == 0);
	CHECK(now.st_size == st.st_size);
	CHECK(now.st_mtim.tv_sec == keep[1].tv_sec && now.st_mtim.tv_nsec == keep[1].tv_nsec);
}

/*
 * A plan of several pieces (the digest hashes 512 KiB pieces on two
 * threads): a byte changed in its last piece, with the length and the
 * modification time kept, is seen; an unchanged plan is a hit.
 */
static void test_large_plan(void)
{
	struct plan *p;
	struct stat st;
	char *cmd = xasprintf("{ for i in $(seq 24000); do echo '# padding line of a large plan: "
			      "%%s' $i; done; cat '%s'; } > '%s.big' && mv '%s.big' '%s'",
			      plan_path, plan_path, plan_path, plan_path);
	CHECK(system(cmd) == 0);
	free(cmd);
	CHECK(stat(plan_path, &st) == 0);
	CHECK(st.st_size > 3 * (512 << 10) / 2);
	p = load(true);
	CHECK(p->cache_image == NULL);
	plan_free(p);
	p = load(true);
	CHECK(p->cache_image != NULL);
	CHECK_STR(p->waves[0].title, "Core APIs v2");
	plan_free(p);
	retitle_keeping_times("v2", "v3");
	p = load(true);
	CHECK(p->cache_image == NULL);
	CHECK_STR(p->waves[0].title, "Core APIs v3");
	plan_free(p);
	p = load(true);
	CHECK(p->cache_image != NULL);
	CHECK_STR(p->waves[0].title, "Core APIs v3");
	plan_free(p);
}

/*
 * The stat key: a plan whose last change has settled (3 s) is found by its
 * stat alone, without hashing. Changing its bytes while keeping its size
 * and mtime moves its ctime: it is hashed and the change is seen; a
 * touch of the same bytes is a hit found by hashing, and a settled stat
 * is written into the cache again.
 */
static void test_stat_key(void)
{
	struct plan *p;

	p = load(true); /* written by test_large_plan while fresh: no stat in it */
	CHECK(p->cache_image != NULL);
	plan_free(p);
	sleep(4);
	p = load(true);
	CHECK(p->cache_image != NULL && p->cache_hashed); /* settled now: keyed by it */
	plan_free(p);
	p = load(true);
	CHECK(p->cache_image != NULL && !p->cache_hashed);
	CHECK_STR(p->waves[0].title, "Core APIs v3");
	plan_free(p);
	/* the same size and mtime, other bytes */
	retitle_keeping_times("v3", "v4");
	p = load(true);
	CHECK(p->cache_image == NULL);
	CHECK_STR(p->waves[0].title, "Core APIs v4");
	plan_free(p);
	p = load(true); /* fresh: hashed each time until it settles */
	CHECK(p->cache_image != NULL && p->cache_hashed);
	CHECK_STR(p->waves[0].title, "Core APIs v4");
	plan_free(p);
	/* touched: the same bytes under a new ctime are found by hashing */
	CHECK(utimensat(AT_FDCWD, plan_path, NULL, 0) == 0);
	p = load(true);
	CHECK(p->cache_image != NULL && p->cache_hashed);
	CHECK_STR(p->waves[0].title, "Core APIs v4");
	plan_free(p);
}

/* `moved` (issue 9 item 4) comes back from the cache as parsed. */
static void test_moved(void)
{
	char *path = xasprintf("%s/moved.yaml", dir);
	FILE *f = fopen(path, "w");
	struct plan *p[3] = { NULL, NULL, NULL };
	struct plan_diags d;

	CHECK(f != NULL);
	if (!f) {
		free(path);
		return;
	}
	fputs("version: 1\nplan: {id: mv}\nenvironments: [{name: dev}, {name: prod-emea}]\n"
	      "waves: [{id: w1}]\nprojects: [{id: ledger-svc, wave: w1}]\n"
	      "moved:\n  - {project: ledger, to: ledger-svc}\n  - {env: prod-eu, to: prod-emea}\n",
	      f);
	fclose(f);
	for (int i = 0; i < 3; i++) {
		plan_diags_init(&d, path);
		p[i] = i ? plan_load_cached(path, &d) : plan_load(path, &d);
		CHECK(p[i] != NULL);
		plan_diags_release(&d);
		if (!p[i])
			goto out;
	}
	CHECK(p[2]->cache_image != NULL);
	CHECK_INT(p[2]->nmoved, p[0]->nmoved);
	for (size_t i = 0; i < p[0]->nmoved && i < p[2]->nmoved; i++) {
		CHECK_INT(p[2]->moved[i].kind, p[0]->moved[i].kind);
		CHECK_STR(p[2]->moved[i].from, p[0]->moved[i].from);
		CHECK_STR(p[2]->moved[i].to, p[0]->moved[i].to);
		CHECK_INT(p[2]->moved[i].to_loc.line, p[0]->moved[i].to_loc.line);
	}
	CHECK_STR(p[2]->moved[1].from, "prod-eu");
out:
	for (int i = 0; i < 3; i++)
		plan_free(p[i]);
	free(path);
}

static void test_disabled(void)
{
	struct plan *p;
	setenv("TOLLGATE_NO_PLAN_CACHE", "1", 1);
	p = load(true);
	CHECK(p->cache_image == NULL);
	plan_free(p);
	unsetenv("TOLLGATE_NO_PLAN_CACHE");
}

int main(void)
{
	char *cmd;
	copy_example();
	RUN(test_same_plan);
	RUN(test_damaged_cache);
	RUN(test_flipped_bytes);
	RUN(test_forged_fields);
	RUN(test_two_plans);
	RUN(test_default_timeout);
	RUN(test_trigger_every);
	RUN(test_identity_fields);
	RUN(test_changed_plan);
	RUN(test_large_plan);
	RUN(test_stat_key);
	RUN(test_disabled);
	RUN(test_moved);
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
	return TEST_DONE();
}
