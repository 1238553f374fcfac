/*
 * plan.h - the promotion plan: the model loaded from YAML, its validation and
 * its diagnostics.
 *
 * A loaded plan lives in one arena and is freed once with plan_free(). Every
 * reference in the file (a project's wave, a gate's roles, a checklist id …)
 * is resolved at load time into an index into the matching array; the string
 * is kept too for messages. Indices are -1 when absent. Every node keeps the
 * location it came from so later stages (readiness, report) can point back.
 */
#ifndef TOLLGATE_PLAN_H
#define TOLLGATE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* A project's, check's or measure's timeout when the plan gives none (or
 * 0s), in seconds: set by the loader, so every timeout in a loaded plan is
 * positive and nothing downstream has a default of its own. */
#define PLAN_TIMEOUT_DEFAULT (15 * 60)

struct plan_loc {
	int line, col; /* 1-based; 0 when not from the file */
};

/* A list of references to other plan objects (ids), resolved to indices. */
struct plan_refs {
	size_t n;
	const char **ids;
	int *idx;              /* idx[i] indexes the target array, -1 if unresolved */
	struct plan_loc *locs; /* where each id was written */
};

struct plan_freeze {
	int64_t from, to; /* [from, to) */
	const char *why;
	struct plan_loc loc;
};

struct plan_env {
	const char *name;
	const char *title;   /* display name, default upper-case name */
	const char *account; /* cloud account, may be NULL */
	int64_t soak;        /* seconds, 0 = none */
	bool has_soak;
	struct plan_refs success; /* checklist ids: the env's sign-off */
	size_t nfreeze;
	struct plan_freeze *freeze;
	const char **freeze_override; /* roles that may promote during a freeze */
	size_t nfreeze_override;
	/* roles that may change this environment (promote, rollback, record);
	 * none: anyone the plan names (issue 9 §5) */
	const char **promoters;
	size_t npromoters;
	struct plan_loc *promoter_locs;
	struct plan_loc loc;
};

struct plan_person {
	const char *id;
	const char *name; /* defaults to id */
	const char *email;
	size_t nroles;
	const char **roles;
	/* identity (issue 9 §5): the OS users that are this person (identity:
	 * os), the PostgreSQL user that is (identity: db) */
	size_t nlogins;
	const char **logins;
	struct plan_loc *login_locs;
	const char *db_user;
	/* chat handle for escalations (people[].slack): a Slack member id
	 * ("U024BE7LH") pings; a name is shown as @name */
	const char *slack;
	/* a placeholder holding a role until someone is named: never acts,
	 * shown as "TBD" */
	bool tbd;
	struct plan_loc loc;
};

struct plan_wave {
	const char *id;
	const char *title;
	int64_t window_from, window_to; /* dates (midnight UTC), 0 = none */
	bool has_window;
	struct plan_refs prerequisites; /* checklist ids */
	int after_wave;                 /* -1 none */
	int after_env;                  /* env index of the `after` constraint */
	const char *after_wave_id, *after_env_id;
	struct plan_loc after_loc;
	const char *notes;
	struct plan_loc loc;
};

struct plan_target {
	int env; /* env index */
	int64_t date;
	struct plan_loc loc;
};

struct plan_project {
	const char *id;
	const char *title; /* optional description */
	int wave;          /* wave index */
	const char *wave_id;
	const char *owner;
	const char *doc;
	const char *deploy, *verify, *rollback; /* shell commands, may be NULL */
	int64_t timeout;                        /* seconds, > 0 (PLAN_TIMEOUT_DEFAULT) */
	struct plan_refs depends_on;            /* project indices */
	size_t ntargets;
	struct plan_target *targets;
	struct plan_loc loc;
};

struct plan_gate {
	const char *id;
	const char *title;
	const char *location; /* "After Stage 6 (API Proxy)" */
	size_t napprovers;
	const char **approvers; /* role names */
	struct plan_loc *approver_locs;
	struct plan_refs criteria; /* checklist ids */
	int before_env;            /* env index */
	const char *before_env_id;
	struct plan_refs waves; /* n == 0: every wave */
	/* `scope: plan`: an approval is of the plan as a whole; otherwise (the
	 * default, `scope: versions`) it covers, for each project of the gate's
	 * waves, the candidate version it was given for (ready.h) */
	bool scope_plan;
	int64_t expires; /* seconds an approval counts after it was given; 0: for ever */
	struct plan_loc loc;
};

struct plan_item {
	const char *id;
	const char *text;
	const char *category; /* may be NULL */
	const char *check;    /* command whose exit status is the evidence, may be NULL */
	int64_t timeout;      /* for check; seconds, > 0 */
	bool has_applies;
	int applies_env;          /* env index, -1 = any */
	struct plan_refs applies_waves; /* n == 0: any wave */
	/* roles that may tick or untick it by hand; none: anyone */
	size_t nby;
	const char **by;
	struct plan_loc *by_locs;
	struct plan_loc loc;
};

struct plan_blocker {
	const char *id;
	const char *text;
	int progress; /* 0..100 as written in the plan (initial) */
	const char *owner;
	int64_t due; /* 0 = none */
	const char *impact, *mitigation;
	int blocks_env; /* env index, -1 = none */
	struct plan_refs blocks_waves; /* n == 0: every wave */
	struct plan_loc loc;
};

enum plan_severity { SEV_LOW = 1, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };

struct plan_risk {
	const char *id;
	const char *text;
	enum plan_severity severity;
	bool all_projects;
	const char *scope; /* display label, e.g. "All APIs" */
	struct plan_refs projects;
	const char *mitigation;
	const char *owner;
	struct plan_loc loc;
};

struct plan_trigger {
	const char *id;
	const char *text;
	const char *measure; /* command printing a number; NULL = judged by a person */
	bool has_above, has_below;
	double above, below;
	int level;          /* incident level on breach, default 1 */
	int64_t timeout;    /* seconds, > 0 */
	/* how often the server's soak loop measures it (soak_tick), seconds,
	 * > 0; default PLAN_TRIGGER_EVERY_DEFAULT */
	int64_t every;
	struct plan_refs envs; /* n == 0: every environment after the first */
	struct plan_loc loc;
};
#define PLAN_TRIGGER_EVERY_DEFAULT (5 * 60)

struct plan_milestone {
	int64_t date, until; /* until = 0 unless a range */
	const char *text;
	/* the promotions it names, optional: every project (of `wave`, or the
	 * listed `projects`) in env; the report ticks it when they happened */
	int env; /* -1: names no promotion */
	const char *env_id;
	struct plan_refs waves;    /* key `wave`: an id or a list */
	struct plan_refs projects; /* key `projects` */
	struct plan_loc loc;
};

/* A channel a message goes out by (`channels[]`, docs/notify.md). Secrets
 * and URLs are never in the plan: only names of environment variables. */
enum plan_channel_kind { CHANNEL_WEBHOOK, CHANNEL_SLACK, CHANNEL_EMAIL };
struct plan_channel {
	const char *id;
	enum plan_channel_kind kind;
	const char *url_env;    /* webhook, slack: the URL's variable */
	const char *secret_env; /* webhook: the HMAC key's variable; NULL unsigned */
	const char *smtp_env;   /* email: the smtp[s]://user:pass@host URL's variable */
	const char *from;       /* email */
	size_t nto;
	const char **to;        /* email: addresses */
	struct plan_loc loc;
};
/* "webhook", "slack", "email". */
const char *plan_channel_kind_name(enum plan_channel_kind k);

/* A route (`notify[]`): the audit entries whose action matches one of
 * events (globs, `*` any run of characters) go to channel, when the
 * entry's environment is one of envs (n 0: any), its project's wave one of
 * waves (n 0: any), and, for an incident, its level >= min_level (0: any). */
struct plan_notify {
	const char *channel_id;
	int channel; /* index in plan.channels, -1 unresolved */
	size_t nevents;
	const char **events;
	struct plan_refs envs, waves;
	int min_level;
	struct plan_loc loc;
};

/* The audit log's action names, NULL-terminated (a route's events must
 * match one); glob matching as fnmatch(3) without flags. */
extern const char *const plan_notify_actions[];
bool plan_notify_glob_match(const char *glob, const char *action);

/* `notify_policy`: how long the outbox keeps trying. */
struct plan_notify_policy {
	int max_attempts;    /* then the message is dead; default 10 */
	int64_t max_backoff; /* seconds, cap of the exponential backoff; default 1h */
	int64_t keep;        /* seconds a sent message stays in the outbox; default 30d */
	const char *dashboard_url; /* the dashboard's base URL, for links in messages */
};
#define PLAN_NOTIFY_KEEP_DEFAULT (30 * 86400)
#define PLAN_NOTIFY_MAX_ATTEMPTS_DEFAULT 10
#define PLAN_NOTIFY_MAX_BACKOFF_DEFAULT 3600

/* A scheduled digest (`schedules[]`); sent by the schedule module. */
struct plan_schedule {
	const char *id, *channel_id;
	int channel;        /* index in plan.channels, -1 unresolved */
	const char *digest; /* "status" or "standup" */
	int at;             /* minutes after local midnight */
	const char *tz;     /* a zone of /usr/share/zoneinfo, e.g. Europe/London */
	unsigned days;      /* bit 0 = Sunday … bit 6 = Saturday; 0x7f every day */
	/* a slot missed (nothing ran) is still sent this long after its time,
	 * else recorded as skipped; seconds, default PLAN_SCHEDULE_GRACE_DEFAULT */
	int64_t grace;
	struct plan_loc loc;
};
#define PLAN_SCHEDULE_GRACE_DEFAULT 3600

struct plan_resource {
	const char *role;
	const char *person; /* people id or free text; may be NULL ("TBD") */
	const char *availability;
	const char *responsibility;
	struct plan_loc loc;
};

struct plan_escalation {
	int level;
	const char *name;   /* "Minor" */
	const char *action; /* "DevOps handles, log in tracking sheet" */
	const char *notify; /* role or person to escalate to */
	/* channels an incident of this level is sent to, naming the people of
	 * `notify` (notify/route.c) */
	size_t nchannels;
	const char **channels;
	struct plan_loc *channel_locs;
	struct plan_loc loc;
};

struct plan_step {
	const char *title; /* "Notify" */
	const char *text;  /* "Alert team via Slack + email" */
	/* channels a rollback alerts (the seed's "Notify" step) */
	size_t nchannels;
	const char **channels;
	struct plan_loc *channel_locs;
};

struct plan_comm {
	const char *title; /* "Daily Standup (During Promotion)" */
	const char *time, *duration, *frequency, *channel;
	size_t nattendees;
	const char **attendees;
	size_t nformat;
	const char **format;
	struct plan_loc loc;
};

struct plan_activity_group {
	const char *title;     /* "Wave 1 (After SIT)" */
	int after_env;         /* -1 none */
	struct plan_refs waves; /* may be empty */
	struct plan_refs items; /* checklist ids */
	struct plan_loc loc;
};

struct plan_change {
	int64_t date;
	const char *change, *author;
};

struct plan_next_steps {
	const char *title;
	size_t nitems;
	const char **items;
};

/* A section of free text (`notes[]`): what a document imported into the
 * plan said that no other key holds (docs/import.md), or the team's own. */
struct plan_note {
	const char *title;
	const char *text;
	struct plan_loc loc;
};

/* The kinds of ids that name state in the store, and `moved` may rename. */
enum plan_kind {
	PLAN_KIND_PROJECT,
	PLAN_KIND_ENV,
	PLAN_KIND_GATE,
	PLAN_KIND_ITEM,
	PLAN_KIND_WAVE,
	PLAN_KIND_BLOCKER,
	PLAN_KIND_COUNT
};

/* A `moved` entry ({project: ledger, to: ledger-svc}): the id `from`, gone
 * from the plan, is now `to`; the store's state of `from` is carried over
 * to `to` once (engine/orphans.h). */
struct plan_moved {
	enum plan_kind kind;
	const char *from, *to;
	struct plan_loc loc, to_loc; /* of the old id and of the new one */
};

/* How the acting person is known (issue 9 §5, docs/plan.md `identity`). */
enum plan_identity {
	IDENTITY_CLAIM = 0, /* --as / TOLLGATE_USER, unchecked */
	IDENTITY_OS,        /* the OS user running tollgate, through people[].login */
	IDENTITY_DB,        /* the PostgreSQL session user, through people[].db_user
			     * (on SQLite: as IDENTITY_OS) */
};

struct plan {
	struct arena arena;
	const char *path; /* as given */
	const char *dir;  /* folder holding the plan: commands run there */

	int version;
	const char *id, *title, *manager, *status, *contact;
	int64_t created, next_review; /* 0 = none */
	enum plan_severity risk_override; /* 0 = derive from risks */
	/* the key `identity`, or its default: os when a person has a login,
	 * else claim; identity_set says it was written */
	enum plan_identity identity;
	bool identity_set;
	struct plan_loc identity_loc;
	/* the key `store_mode` (issue 10 §10): the mode of the files tollgate
	 * makes for the store (the SQLite file, step and check logs); folders
	 * get it with x where r is. 0: not written (PLAN_STORE_MODE_DEFAULT) */
	unsigned store_mode;
	struct plan_loc store_mode_loc;

	size_t nenvs, npeople, nwaves, nprojects, ngates, nitems, nblockers, nrisks,
		ntriggers, nmilestones, nnotify, nchannels, nschedules, nresources, nescalation, nrollback_steps,
		ncomms, npost, nchanges, nnext;
	struct plan_env *envs;
	struct plan_person *people;
	struct plan_wave *waves;
	struct plan_project *projects;
	struct plan_gate *gates;
	struct plan_item *items;
	struct plan_blocker *blockers;
	struct plan_risk *risks;
	struct plan_trigger *triggers;
	struct plan_milestone *milestones;
	struct plan_notify *notify;
	struct plan_channel *channels;
	struct plan_schedule *schedules;
	struct plan_notify_policy notify_policy;
	struct plan_resource *resources;
	struct plan_escalation *escalation;
	struct plan_step *rollback_steps;
	struct plan_comm *comms;
	struct plan_activity_group *post;
	struct plan_change *changes;
	struct plan_next_steps *next;
	size_t nmoved;
	struct plan_moved *moved;
	size_t nnotes;
	struct plan_note *notes;

	/* secrets: names of environment variables (NAME, or PREFIX*) that
	 * never reach a step, check or measure, beside the store's own */
	const char **secrets;
	size_t nsecrets;

	/* Derived at load: projects in a topological order of depends_on. */
	int *topo;

	/* id -> index maps behind the plan_*_index() lookups (loader-private). */
	struct plan_maps *maps;

	/* Set when the plan was read from its compiled cache (plan-cache.c):
	 * the one block (starting with this struct) every pointer above
	 * points into, mapped by itself. */
	void *cache_image;
	size_t cache_image_size;
	/* plan_load_cached hashed the plan file's bytes to find its cache
	 * (false: the file's stat was the one the cache was made from) */
	bool cache_hashed;
};

/* One diagnostic: FILE:LINE:COL: error|warning: message */
enum diag_kind { DIAG_ERROR, DIAG_WARNING };
struct plan_diag {
	enum diag_kind kind;
	int line, col;
	char *msg;
};
struct plan_diags {
	const char *file;
	size_t n, alloc, nerrors, nwarnings;
	struct plan_diag *v;
};
void plan_diags_init(struct plan_diags *d, const char *file);
void plan_diags_release(struct plan_diags *d);
void plan_diag_add(struct plan_diags *d, enum diag_kind kind, struct plan_loc loc,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Sort by position (stable) for printing; the same message at the same place
 * (a merged value checked in each map it is merged into) is kept once. */
void plan_diags_sort(struct plan_diags *d);

/*
 * Load and validate a plan file. On success returns a plan (caller frees with
 * plan_free) and diags may hold warnings. On failure returns NULL with every
 * problem in diags (diags->nerrors > 0), or, when the file cannot be read at
 * all, with one error at line 0.
 */
/* The plan a command reads when none is named: NAME in the current folder
 * or the nearest parent that has it (not across a file system), as a path
 * relative to here; NULL when there is none. The caller frees it. */
char *plan_find(const char *name);
struct plan *plan_load(const char *path, struct plan_diags *diags);
/* The same from memory (tests, fuzzing); name is used in messages and dir = ".". */
struct plan *plan_load_buffer(const char *name, const char *data, size_t len,
			      struct plan_diags *diags);
void plan_free(struct plan *p);

/*
 * plan_load through a compiled cache kept in .tollgate/ beside the plan: when
 * a cache of these very bytes (a SHA-256 digest of the file as read now) made by this
 * tollgate binary verifies (its checksum, every offset, index and id map),
 * the model is read back in a few milliseconds instead of parsing the YAML
 * again; otherwise the bytes read are parsed and the cache rewritten.
 * Warnings are only produced on a real load. The cache is only an
 * accelerator: any failure to read, verify or write it falls back to a parse.
 * Thread-safe; any number of plans may be open at once.
 * TOLLGATE_NO_PLAN_CACHE=1 turns it off.
 *
 * NOTE: every pointer field added to the structs above must be listed in
 * plan-cache.c's walker, and every index, enum or bool in its model_ok, or
 * cached plans would be wrong or unchecked (tests/unit/test-plan-cache.c
 * compares cached and parsed plans).
 */
struct plan *plan_load_cached(const char *path, struct plan_diags *diags);

/* Lookups by id: index or -1. */
int plan_env_index(const struct plan *p, const char *name);
int plan_project_index(const struct plan *p, const char *id);
int plan_wave_index(const struct plan *p, const char *id);
int plan_gate_index(const struct plan *p, const char *id);
int plan_item_index(const struct plan *p, const char *id);
int plan_blocker_index(const struct plan *p, const char *id);
int plan_person_index(const struct plan *p, const char *id);
int plan_trigger_index(const struct plan *p, const char *id);
int plan_channel_index(const struct plan *p, const char *id); /* plan-notify.c */
/* The id lookups and "did you mean" by kind (PLAN_KIND_*). */
int plan_kind_index(const struct plan *p, enum plan_kind k, const char *id);
const char *plan_kind_suggest(const struct plan *p, enum plan_kind k, const char *id);
/* "project", "environment", "gate", "checklist item", "wave", "blocker" */
const char *plan_kind_name(enum plan_kind k);
/* The key naming the kind in the plan and on the command line: "project",
 * "env", "gate", "item", "wave", "blocker"; plan_kind_parse: 0 or -1. */
const char *plan_kind_key(enum plan_kind k);
int plan_kind_parse(const char *key, enum plan_kind *out);
/* The plan's id of kind k at index i. */
const char *plan_kind_id(const struct plan *p, enum plan_kind k, int i);
size_t plan_kind_count(const struct plan *p, enum plan_kind k);
/* "did you mean": the closest id of that kind, or NULL. */
const char *plan_suggest_env(const struct plan *p, const char *name);
const char *plan_suggest_project(const struct plan *p, const char *id);
const char *plan_suggest_wave(const struct plan *p, const char *id);
const char *plan_suggest_gate(const struct plan *p, const char *id);
const char *plan_suggest_item(const struct plan *p, const char *id);
const char *plan_suggest_blocker(const struct plan *p, const char *id);
const char *plan_suggest_person(const struct plan *p, const char *id);

bool plan_person_has_role(const struct plan_person *who, const char *role);
/* Does who hold one of the n roles? */
bool plan_person_has_any_role(const struct plan_person *who, const char *const *roles, size_t n);
/* The person whose people[].login lists user / whose db_user is user: index or -1. */
int plan_person_by_login(const struct plan *p, const char *user);
int plan_person_by_db_user(const struct plan *p, const char *user);
/* What reports and status show for a person: "TBD" for a placeholder,
 * else the name (or id). */
const char *plan_person_display(const struct plan_person *who);
/* "os", "db", "claim" */
const char *plan_identity_name(enum plan_identity m);
/* The mode of the files (store, logs) and of the folders (.tollgate, runs,
 * checks) tollgate makes: the plan's store_mode or 0600 / 0700 (plan may be
 * NULL). A folder can be entered where it can be read, and is setgid where
 * the group may write. */
#define PLAN_STORE_MODE_DEFAULT 0600u
unsigned plan_file_mode(const struct plan *p);
unsigned plan_dir_mode(const struct plan *p);
/* Was store_mode written (then tollgate also brings the folders and the
 * store it made before, when they are the user's, to that mode)? */
bool plan_store_mode_set(const struct plan *p);
/* Does gate g cover wave w? */
bool plan_gate_covers_wave(const struct plan_gate *g, int wave);
/* Does item i apply to env e for wave w (its `applies`)? */
bool plan_item_applies(const struct plan_item *it, int env, int wave);
/* Does blocker b hold up wave w entering env e (its `blocks`)? */
bool plan_blocker_applies(const struct plan_blocker *b, int wave, int env);
/* Does trigger t measure a promotion into env (it has a measure; its
 * `envs`, or every environment after the first)? */
bool plan_trigger_applies(const struct plan_trigger *t, int env);
/* Is idx among r's indexes? */
bool plan_refs_has(const struct plan_refs *r, int idx);
/* Target date of project in env, 0 if none. */
int64_t plan_project_target(const struct plan_project *pr, int env);
const char *plan_severity_name(enum plan_severity s);
/* Highest risk severity, or the plan's override. */
enum plan_severity plan_overall_risk(const struct plan *p);

/* The starter plan written by `tollgate init`, with PLAN_STARTER_LOGIN in
 * the login list of its first person (it validates as it is). */
#define PLAN_STARTER_LOGIN "your-os-user"
extern const char plan_starter_text[];
/* The starter with login (the OS user running init) for PLAN_STARTER_LOGIN,
 * when it is a plain word; the caller frees it. */
char *plan_starter(const char *login);

#endif
