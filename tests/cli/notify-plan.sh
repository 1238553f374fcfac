#!/bin/bash
# notify-plan.sh - the plan's notification keys (docs/notify.md): channels,
# notify routes, notify_policy and schedules are loaded, and each mistake is
# reported where it was written, with a suggestion when one is close; a URL
# in the plan is refused (secrets come from the environment only).
. "$TOLLGATE_SRC/tests/cli/lib.sh"

head_plan() {
	cat <<'YAML'
version: 1
plan: {id: N-1}
environments: [{name: dev}, {name: sit}]
waves: [{id: wave-1}]
projects: [{id: api, wave: wave-1}]
YAML
}

# bad NAME LINE (tail of the plan on stdin): rejected with LINE on stderr
bad() {
	{ head_plan; cat; } >"$1.yaml"
	run --plan "$1.yaml" validate
	expect_rc 2
	expect_err_line "$2"
}

{ head_plan; cat <<'YAML'; } >good.yaml
channels:
  - {id: hook, kind: webhook, url_env: HOOK_URL, secret_env: HOOK_SECRET}
  - {id: deployments, kind: slack, url_env: SLACK_URL}
  - {id: ops-mail, kind: email, smtp_env: SMTP_URL, from: t@example.com, to: [ops@example.com]}
notify:
  - {channel: hook, events: ["*"]}
  - {channel: ops-mail, events: [promotion.rolled-back, "incident.*"], min_level: 2, env: sit, wave: wave-1}
notify_policy: {max_attempts: 3, max_backoff: 10m}
schedules:
  - {id: am, channel: deployments, digest: status, at: "10:00", tz: Europe/London}
  - {id: standup, channel: deployments, digest: standup, at: "09:00", tz: UTC, days: [mon, fri], grace: 30m}
YAML
run --plan good.yaml validate
expect_rc 0
# the cached plan carries the same keys
run --plan good.yaml validate
expect_rc 0

bad url 'url.yaml:7:40: error: '"'"'url_env'"'"' names an environment variable, not a URL: a URL or secret in the plan would be read by everyone who reads the plan; write e.g. url_env: HOOK_URL and set HOOK_URL where tollgate runs' <<'YAML'
channels:
  - {id: hook, kind: webhook, url_env: "https://hooks.example/x"}
YAML
bad kind "kind.yaml:7:22: error: unknown channel kind 'webhok'; did you mean 'webhook'?" <<'YAML'
channels:
  - {id: hook, kind: webhok, url_env: HOOK}
YAML
bad chan "chan.yaml:9:15: error: 'notify' entry 1 names unknown channel 'hok'; did you mean 'hook'?" <<'YAML'
channels:
  - {id: hook, kind: webhook, url_env: HOOK}
notify:
  - {channel: hok, events: [approve]}
YAML
bad glob "glob.yaml:9:39: error: event 'promotion.helthy' matches no action; did you mean 'promotion.healthy'?" <<'YAML'
channels:
  - {id: hook, kind: webhook, url_env: HOOK}
notify:
  - {channel: hook, events: [approve, promotion.helthy]}
YAML
bad old "old.yaml:7:5: error: 'notify' entries are routes now: declare the webhook in 'channels' ({id: hook, kind: webhook, url_env: ...}) and write {channel: hook, events: [...]} here (docs/notify.md)" <<'YAML'
notify:
  - {webhook_env: HOOK, events: [approve]}
YAML
bad email "email.yaml:7:5: error: missing required key 'to' in channel 'm'" <<'YAML'
channels:
  - {id: m, kind: email, smtp_env: SMTP_URL, from: a@b}
YAML
bad tz "tz.yaml:9:59: error: unknown time zone 'Europe/Londn'; use a zone of /usr/share/zoneinfo, e.g. Europe/London or UTC" <<'YAML'
channels:
  - {id: s, kind: slack, url_env: SLACK_URL}
schedules:
  - {id: am, channel: s, digest: status, at: "10:00", tz: Europe/Londn}
YAML
bad at "at.yaml:9:46: error: bad time '25:00' for 'at'; use HH:MM (24-hour), e.g. \"10:00\"" <<'YAML'
channels:
  - {id: s, kind: slack, url_env: SLACK_URL}
schedules:
  - {id: am, channel: s, digest: status, at: "25:00", tz: UTC}
YAML
bad day "day.yaml:9:72: error: unknown day 'thur'; did you mean 'thu'?" <<'YAML'
channels:
  - {id: s, kind: slack, url_env: SLACK_URL}
schedules:
  - {id: am, channel: s, digest: standup, at: "09:00", tz: UTC, days: [thur]}
YAML
bad grace "grace.yaml:9:71: error: 'grace' must be between 0s and 24h" <<'YAML'
channels:
  - {id: s, kind: slack, url_env: SLACK_URL}
schedules:
  - {id: am, channel: s, digest: status, at: "10:00", tz: UTC, grace: 2d}
YAML
bad policy "policy.yaml:6:31: error: 'max_attempts' must be between 1 and 1000, got 0" <<'YAML'
notify_policy: {max_attempts: 0}
YAML
bad level "level.yaml:9:47: error: 'min_level' must be between 1 and 3, got 4" <<'YAML'
channels:
  - {id: hook, kind: webhook, url_env: HOOK}
notify:
  - {channel: hook, events: ["*"], min_level: 4}
YAML
# a channel or schedule without an id is an error, never a crash (fuzz-plan
# found strcmp on its missing id when a route or schedule looked channels up)
bad noid "noid.yaml:10:15: error: 'notify' entry 1 names unknown channel 'hok'; did you mean 'hook'?" <<'YAML'
channels:
  - {kind: webhook, url_env: HOOK_URL}
  - {id: hook, kind: webhook, url_env: HOOK_URL}
notify:
  - {channel: hok, events: ["*"]}
schedules:
  - {channel: hook, digest: status, at: "10:00", tz: UTC}
  - {id: s1, channel: hook, digest: status, at: "16:00", tz: UTC}
YAML
expect_err_has "missing required key 'id' in 'channels' entry 1"
expect_err_has "missing required key 'id' in 'schedules' entry 1"

done_tests
