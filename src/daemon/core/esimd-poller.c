/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The eIM poll of one eUICC (esimd-poller.h): per-eIM clients and schedule,
 * the timer, the cycle as an operation, the journal on the state store, the
 * rollback window after a profile switch, and the properties that show it.
 */

#include <string.h>

#include "esim-es9p-client.h"
#include "esim-esipa-client.h"
#include "esim-poll-cycle.h"
#include "esim-util.h"
#include "esimd-eim.h"
#include "esimd-error.h"
#include "esimd-euicc-private.h"
#include "esimd-log.h"
#include "esimd-poller.h"
#include "esimd-trust.h"

/* the first delay after a failure, unless PollInterval is shorter */
#define POLLER_BACKOFF_FIRST_S 60

/* What esimd knows of one eIM of the card. */
typedef struct {
	gchar           *eim_id;
	EsimEimConfig   *config;     /* as the card lists it */
	EsimEsipaClient *client;     /* NULL until the first poll, or when the config changed */
	guint            failures;   /* polls in a row that failed */
	gint64           due;        /* unix seconds of the next poll; 0: none */
	gboolean         requested;  /* esimd's own poll request waits in the queue or runs */
	gint64           last_poll;
	gchar           *last_error; /* "Error.Name: message"; NULL after a success */
	gint             state_change; /* stateChangeCause to tell at the next poll; -1: none */
} PollEim;

struct _EsimdPoller {
	EsimdEuicc        *euicc;      /* owns the poller */
	EsimdStore        *store;
	const EsimdConfig *config;
	GHashTable        *eims;       /* eimId -> PollEim* */
	EsimPollCache      cache;
	guint              timer_id;
	gint64             timer_due;
	gboolean           running;
	/* after a package switched the enabled profile (the window of a rollback) */
	gboolean           switched;
	gboolean           rollback_allowed;
	gboolean           rollback_due;    /* the next poll runs ProfileRollback first */
	gboolean           rolled_back;     /* ProfileRollback ran in this window */
	gchar             *switch_eim_id;
	gint64             switch_deadline; /* monotonic µs: the rollback is over by then */
	gint64             rollback_at;     /* monotonic µs: no eIM reached by then -> rollback */
	guint              switch_timer_id;
};

static gint64
now_s (void)
{
	return g_get_real_time () / G_USEC_PER_SEC;
}

static void
poll_eim_free (PollEim *eim)
{
	g_free (eim->eim_id);
	g_clear_pointer (&eim->config, esim_eim_config_free);
	g_clear_object (&eim->client);
	g_free (eim->last_error);
	g_free (eim);
}

static EsimdEim *
poller_eim_object (EsimdPoller *self, const gchar *eim_id)
{
	return g_hash_table_lookup (self->euicc->eims, eim_id);
}

/* ---- errors ---- */

GError *
esimd_poller_error_normalize (const GError *error)
{
	g_return_val_if_fail (error != NULL, NULL);

	if (error->domain == ESIM_ESIPA_ERROR)
		return g_error_new (ESIMD_ERROR, ESIMD_ERROR_SERVER_ERROR, "the eIM: %s",
		                    error->message);
	if (error->domain == G_TLS_ERROR)
		return g_error_new (ESIMD_ERROR, ESIMD_ERROR_SERVER_NOT_TRUSTED, "%s", error->message);
	if (error->domain == G_RESOLVER_ERROR ||
	    (error->domain == G_IO_ERROR && error->code != G_IO_ERROR_CANCELLED &&
	     error->code != G_IO_ERROR_INVALID_ARGUMENT && error->code != G_IO_ERROR_NOT_SUPPORTED &&
	     error->code != G_IO_ERROR_FAILED))
		return g_error_new (ESIMD_ERROR, ESIMD_ERROR_SERVER_UNREACHABLE, "%s", error->message);
	/* esim-http.h: an HTTP status other than 2xx */
	if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_FAILED))
		return g_error_new (ESIMD_ERROR, ESIMD_ERROR_SERVER_ERROR, "%s", error->message);
	if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
		return g_error_new (ESIMD_ERROR, ESIMD_ERROR_NOT_SUPPORTED, "%s", error->message);
	return esimd_error_normalize (error);
}

/* "org.freedesktop.Esimd1.Error.Name: message", for LastError */
static gchar *
poller_error_text (const GError *normalized)
{
	g_autofree gchar *name = g_dbus_error_encode_gerror (normalized);

	return g_strdup_printf ("%s: %s", name, normalized->message);
}

/* ---- properties ---- */

static void
poller_publish (EsimdPoller *self)
{
	GHashTableIter iter;
	gpointer value;
	gint64 last = 0, next = 0;

	g_hash_table_iter_init (&iter, self->eims);
	while (g_hash_table_iter_next (&iter, NULL, &value)) {
		PollEim *eim = value;
		EsimdEim *object = poller_eim_object (self, eim->eim_id);

		last = MAX (last, eim->last_poll);
		if (eim->due > 0 && (next == 0 || eim->due < next))
			next = eim->due;
		if (object != NULL)
			esimd_eim_set_poll_state (object, eim->last_poll, eim->due, eim->last_error);
	}
	esimd_gdbus_euicc_set_last_poll (self->euicc->skeleton, last);
	esimd_gdbus_euicc_set_next_poll (self->euicc->skeleton, next);
}

/* ---- the schedule ---- */

/* @delay_s ± PollJitter percent, at least 1 s. */
static gint64
poller_jitter (EsimdPoller *self, gint64 delay_s)
{
	g_autoptr(EsimdEimSettings) settings = NULL;
	gint64 spread;

	settings = esimd_config_get_eim_settings (self->config, NULL);
	spread = delay_s * settings->poll_jitter_percent / 100;
	if (spread > 0)
		delay_s += g_random_int_range (0, (gint32) MIN (2 * spread + 1, G_MAXINT32)) - spread;
	return MAX (delay_s, 1);
}

/* The delay after @failures failed polls in a row: doubling, capped. */
static gint64
poller_backoff_s (const EsimdEimSettings *settings, guint failures)
{
	gint64 delay = MIN (settings->poll_interval_s, POLLER_BACKOFF_FIRST_S);

	for (guint i = 1; i < failures && delay < settings->backoff_max_s; i++)
		delay *= 2;
	return MAX (MIN (delay, (gint64) settings->backoff_max_s), 1);
}

static void
poller_stop_timer (EsimdPoller *self)
{
	if (self->timer_id != 0)
		g_source_remove (self->timer_id);
	self->timer_id = 0;
	self->timer_due = 0;
}

/* The card can be polled: present, read once, not going away.  A card in error is
 * polled too (the operation reads it afresh first), on the backoff of its failures. */
static gboolean
poller_card_usable (EsimdPoller *self)
{
	EsimdEuicc *euicc = self->euicc;

	if (euicc->gone_error != NULL || euicc->close_task != NULL)
		return FALSE;
	if ((euicc->modem != NULL && !euicc->modem_present) || euicc->card_absent)
		return FALSE;
	return euicc->eid != NULL;
}

static void
poller_request_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimdEuicc *euicc = ESIMD_EUICC (source);
	g_autofree gchar *eim_id = user_data;
	EsimdPoller *self = euicc->poller;
	g_autoptr(GError) error = NULL;
	PollEim *eim;

	/* the cycle logged and scheduled itself; a refusal (queue full…) is retried later */
	if (!esimd_euicc_request_finish (euicc, res, NULL, &error))
		esimd_obj_debug (euicc->log_id, "poll of eIM \"%s\": %s", eim_id, error->message);
	if (self == NULL)
		return;
	eim = g_hash_table_lookup (self->eims, eim_id);
	if (eim == NULL)
		return;
	eim->requested = FALSE;
	/* refused before it ran: not due at once again (no busy loop) */
	if (error != NULL && eim->due != 0 && eim->due <= now_s ()) {
		g_autoptr(EsimdEimSettings) settings = NULL;

		settings = esimd_config_get_eim_settings (self->config, eim->eim_id);
		eim->failures = MIN (eim->failures, G_MAXUINT - 1) + 1;
		eim->due = now_s () + poller_backoff_s (settings, eim->failures);
		poller_publish (self);
	}
	esimd_poller_update (self);
}

static void run_record_failure (EsimdPoller *self, PollEim *eim, const GError *error);
static EsimEsipaClient *poller_client (EsimdPoller *self, PollEim *eim, guint bounded_s,
                                       GError **error);

static void
poller_request (EsimdPoller *self, PollEim *eim)
{
	g_autoptr(EsimEsipaClient) client = NULL;
	g_autoptr(GError) error = NULL;

	/* an eIM that cannot be reached at all (no address, no TLS trust) costs the card nothing */
	client = poller_client (self, eim, 0, &error);
	if (client == NULL) {
		run_record_failure (self, eim, error);
		return;
	}
	eim->requested = TRUE;
	esimd_euicc_request_async (self->euicc, ESIMD_OP_POLL, NULL,
	                           g_variant_new_string (eim->eim_id), poller_request_done,
	                           g_strdup (eim->eim_id));
}

static gboolean
poller_timer_cb (gpointer user_data)
{
	EsimdPoller *self = user_data;
	GHashTableIter iter;
	gpointer value;
	gint64 now = now_s ();

	self->timer_id = 0;
	self->timer_due = 0;
	if (!poller_card_usable (self))
		return G_SOURCE_REMOVE;
	g_hash_table_iter_init (&iter, self->eims);
	while (g_hash_table_iter_next (&iter, NULL, &value)) {
		PollEim *eim = value;

		if (!eim->requested && eim->due != 0 && eim->due <= now)
			poller_request (self, eim);
	}
	esimd_poller_update (self);
	return G_SOURCE_REMOVE;
}

void
esimd_poller_update (EsimdPoller *self)
{
	GHashTableIter iter;
	gpointer value;
	gint64 due = 0;
	gint64 now = now_s ();

	g_return_if_fail (self != NULL);

	if (!poller_card_usable (self) || self->running || !self->config->eim_poll_automatic) {
		poller_stop_timer (self);
		return;
	}
	g_hash_table_iter_init (&iter, self->eims);
	while (g_hash_table_iter_next (&iter, NULL, &value)) {
		PollEim *eim = value;

		if (!eim->requested && eim->due != 0 && (due == 0 || eim->due < due))
			due = eim->due;
	}
	if (due == 0) {
		poller_stop_timer (self);
		return;
	}
	if (self->timer_id != 0 && self->timer_due == due)
		return;
	poller_stop_timer (self);
	self->timer_due = due;
	if (due <= now) {
		self->timer_id = g_idle_add (poller_timer_cb, self);
		return;
	}
	esimd_obj_debug (self->euicc->log_id, "next eIM poll in %" G_GINT64_FORMAT " s", due - now);
	self->timer_id = g_timeout_add_seconds ((guint) MIN (due - now, (gint64) G_MAXUINT / 1000),
	                                        poller_timer_cb, self);
}

void
esimd_poller_poll_soon (EsimdPoller *self, const gchar *eim_id)
{
	GHashTableIter iter;
	gpointer value;

	g_return_if_fail (self != NULL);

	g_hash_table_iter_init (&iter, self->eims);
	while (g_hash_table_iter_next (&iter, NULL, &value)) {
		PollEim *eim = value;

		if (eim_id == NULL || g_strcmp0 (eim_id, eim->eim_id) == 0)
			eim->due = now_s ();
	}
	poller_publish (self);
	esimd_poller_update (self);
}

gboolean
esimd_poller_has_eim (EsimdPoller *self, const gchar *eim_id)
{
	g_return_val_if_fail (self != NULL, FALSE);

	if (eim_id == NULL || eim_id[0] == '\0')
		return g_hash_table_size (self->eims) > 0;
	return g_hash_table_contains (self->eims, eim_id);
}

void
esimd_poller_invalidate (EsimdPoller *self)
{
	g_return_if_fail (self != NULL);

	self->cache.pending_known = FALSE;
	/* the EID the probe read (or none): a poll need not read it again */
	if (g_strcmp0 (self->cache.eid, self->euicc->eid) != 0) {
		g_free (self->cache.eid);
		self->cache.eid = g_strdup (self->euicc->eid);
	}
}

/* ---- the eIM list ---- */

static EsimEimConfig *
eim_config_copy (const EsimEimConfig *config)
{
	gconstpointer data;
	gsize len = 0;

	if (config->raw == NULL)
		return NULL;
	data = g_bytes_get_data (config->raw, &len);
	return esim_es10_parse_eim_config (data, len, NULL);
}

void
esimd_poller_set_eims (EsimdPoller *self, GPtrArray *configs)
{
	g_autoptr(GHashTable) previous = NULL;

	g_return_if_fail (self != NULL);

	previous = g_steal_pointer (&self->eims);
	self->eims = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
	                                    (GDestroyNotify) poll_eim_free);
	for (guint i = 0; i < configs->len; i++) {
		const EsimEimConfig *config = g_ptr_array_index (configs, i);
		EsimEimConfig *copy;
		PollEim *eim;

		if (config->eim_id == NULL || g_hash_table_contains (self->eims, config->eim_id))
			continue;
		copy = eim_config_copy (config);
		if (copy == NULL)
			continue;
		if (g_hash_table_steal_extended (previous, config->eim_id, NULL, (gpointer *) &eim)) {
			/* a changed configuration (address, trust) needs a new client */
			if (!g_bytes_equal (eim->config->raw, copy->raw))
				g_clear_object (&eim->client);
			esim_eim_config_free (eim->config);
			eim->config = copy;
		} else {
			eim = g_new0 (PollEim, 1);
			eim->state_change = -1;
			eim->eim_id = g_strdup (config->eim_id);
			eim->config = copy;
			/* a new eIM (or esimd starting): polled soon, then on its interval */
			eim->due = now_s () + (self->euicc->probing ? 0 : 1);
		}
		g_hash_table_insert (self->eims, eim->eim_id, eim);
	}
	/* which results and notifications are the eIMs' may have changed with the list */
	esimd_poller_invalidate (self);
	poller_publish (self);
	esimd_poller_update (self);
}

/* ---- the journal: the eUICC's record in the state directory ---- */

static GPtrArray *
journal_list (gpointer user_data, const gchar *eim_id)
{
	EsimdPoller *self = user_data;

	return esimd_store_get_eim_results (self->store, self->euicc->eid, eim_id, NULL);
}

static gboolean
journal_save (gpointer user_data, const gchar *eim_id, const gchar *key, GBytes *encoded,
              GError **error)
{
	EsimdPoller *self = user_data;

	return esimd_store_save_eim_result (self->store, self->euicc->eid, eim_id, key, encoded,
	                                    error);
}

static gboolean
journal_forget (gpointer user_data, const gchar *eim_id, const gchar *key, GError **error)
{
	EsimdPoller *self = user_data;

	return esimd_store_forget_eim_result (self->store, self->euicc->eid, eim_id, key, error);
}

static const EsimPollJournal store_journal = {
	journal_list, journal_save, journal_forget,
};

/* ---- the environment of a package ---- */

/* A direct download (ES9+): the SM-DP+ with this eUICC's trust. */
static EsimRspServer *
poller_new_smdp_server (const gchar *address, gpointer user_data, GError **error)
{
	EsimdPoller *self = user_data;
	g_autoptr(GTlsDatabase) trust = esimd_trust_new_database (self->config,
	                                                          self->euicc->ci_pkids);
	EsimEs9pClient *client = esim_es9p_client_new (address, trust, error);

	if (client == NULL)
		return NULL;
	esim_http_client_set_timeout (esim_es9p_client_get_http (client),
	                              self->config->request_timeout_s);
	return ESIM_RSP_SERVER (client);
}

/* The client of @eim, made on first use; @bounded_s > 0: a one-off client
 * with a single attempt bounded by @bounded_s (the rollback window). */
static EsimEsipaClient *
poller_client (EsimdPoller *self, PollEim *eim, guint bounded_s, GError **error)
{
	g_autoptr(EsimdEimSettings) settings = NULL;
	EsimEsipaClientOptions options = { 0 };

	if (eim->client != NULL && bounded_s == 0)
		return g_object_ref (eim->client);
	/* binding, paths, CA file, timeouts and retries from [eim] and [eim:<eimId>] */
	settings = esimd_config_get_eim_settings (self->config, eim->eim_id);
	esimd_eim_settings_to_client_options (settings, &options);
	if (bounded_s > 0) {
		options.timeout = options.timeout != 0 ? MIN (options.timeout, bounded_s) : bounded_s;
		options.attempts = 1;
		return esim_esipa_client_new (eim->config, &options, error);
	}
	eim->client = esim_esipa_client_new (eim->config, &options, error);
	return eim->client != NULL ? g_object_ref (eim->client) : NULL;
}

/* ---- the run: one cycle per eIM ---- */

typedef struct {
	GPtrArray        *targets;   /* gchar* eimIds */
	guint             index;
	EsimEsipaClient  *client;    /* of the cycle running */
	EsimDeviceInfo    device;
	EsimEimPackageEnv env;
	EsimPollCycleOptions options;
	guint             packages;
	guint             results;
	guint             notifications;
	gboolean          more;
	gboolean          switched;
	gboolean          rolled_back;
	guint             refresh;   /* EsimdRefreshFlags */
	GError           *error;     /* the first eIM's failure, normalised */
	const EsimEimPackage *pushed;    /* a pushed package to run instead of a cycle */
	EsimPollPushAnswer   *push_answer;
} RunContext;

static void
run_context_free (RunContext *ctx)
{
	g_ptr_array_unref (ctx->targets);
	g_clear_object (&ctx->client);
	g_clear_error (&ctx->error);
	g_clear_pointer (&ctx->push_answer, esim_poll_push_answer_free);
	g_free (ctx);
}

static void run_next (GTask *task);

static guint
refresh_flags_of (guint changed)
{
	guint flags = 0;

	if (changed & ESIM_EIM_PACKAGE_CHANGED_PROFILES)
		flags |= ESIMD_REFRESH_PROFILES | ESIMD_REFRESH_NOTIFICATIONS | ESIMD_REFRESH_INFO;
	if (changed & ESIM_EIM_PACKAGE_CHANGED_EIMS)
		flags |= ESIMD_REFRESH_EIMS;
	if (changed & ESIM_EIM_PACKAGE_CHANGED_NOTIFICATIONS)
		flags |= ESIMD_REFRESH_NOTIFICATIONS;
	if (changed & ESIM_EIM_PACKAGE_CHANGED_ADDRESSES)
		flags |= ESIMD_REFRESH_ADDRESSES;
	return flags;
}

/* After a switch: the window in which the new profile must reach the eIM. */
static void poller_switch_arm (EsimdPoller *self, const gchar *eim_id, gboolean rollback_allowed);

/* Records what the cycle of @eim did and when the next one is due. */
static void
run_record (EsimdPoller *self, RunContext *ctx, PollEim *eim, const EsimPollReport *report,
            const GError *error)
{
	g_autoptr(EsimdEimSettings) settings = NULL;
	const gchar *log_id = self->euicc->log_id;
	gint64 now = now_s ();

	settings = esimd_config_get_eim_settings (self->config, eim->eim_id);
	eim->last_poll = now;
	if (report != NULL) {
		ctx->packages += report->packages;
		ctx->results += report->results_delivered;
		ctx->notifications += report->notifications_delivered;
		ctx->refresh |= refresh_flags_of (report->changed);
		if (report->packages + report->results_delivered + report->notifications_delivered > 0)
			esimd_obj_info (log_id, "eIM \"%s\": %u package(s) executed, %u result(s) and %u "
			                "notification(s) delivered%s", eim->eim_id, report->packages,
			                report->results_delivered, report->notifications_delivered,
			                report->more ? ", more to come" : "");
		else if (error == NULL)
			esimd_obj_debug (log_id, "eIM \"%s\": nothing to do", eim->eim_id);
	}
	g_clear_pointer (&eim->last_error, g_free);
	if (error != NULL) {
		g_autoptr(GError) normalized = esimd_poller_error_normalize (error);

		eim->failures = MIN (eim->failures, G_MAXUINT - 1) + 1;
		eim->due = now + poller_jitter (self, poller_backoff_s (settings, eim->failures));
		eim->last_error = poller_error_text (normalized);
		esimd_obj_warn (log_id, "polling eIM \"%s\" failed (%u in a row): %s; next poll in "
		                "%" G_GINT64_FORMAT " s", eim->eim_id, eim->failures,
		                normalized->message, eim->due - now);
		if (ctx->error == NULL)
			ctx->error = g_steal_pointer (&normalized);
		/* the card failed under the cycle: read everything again first */
		if (error->domain == ESIM_APDU_ERROR)
			self->euicc->healthy = FALSE;
	} else {
		eim->failures = 0;
		/* the eIM was told (notifyStateChange in the cycle's first GetEimPackage) */
		eim->state_change = -1;
		eim->due = now + poller_jitter (self, settings->poll_interval_s);
		if (report != NULL && report->more && !report->enabled_profile_changed)
			eim->due = now;
		ctx->more |= report != NULL && report->more;
	}
	if (report != NULL && report->enabled_profile_changed) {
		/* the card may reset and the modem leave ModemManager for a while: not a removal */
		self->euicc->expect_reset_until = g_get_monotonic_time () +
		                                  (gint64) self->euicc->policy.switch_timeout_s *
		                                  G_USEC_PER_SEC;
		ctx->switched = TRUE;
		ctx->refresh |= ESIMD_REFRESH_PROFILES | ESIMD_REFRESH_NOTIFICATIONS;
		poller_switch_arm (self, eim->eim_id, report->rollback_allowed);
	} else if (error == NULL && self->switched &&
	           g_strcmp0 (self->switch_eim_id, eim->eim_id) == 0) {
		/* the eIM was reached on the new profile: the switch stands */
		esimd_obj_info (log_id, "eIM \"%s\" reached after the profile switch", eim->eim_id);
		self->switched = FALSE;
		self->rollback_due = FALSE;
		if (self->switch_timer_id != 0)
			g_source_remove (self->switch_timer_id);
		self->switch_timer_id = 0;
	} else if (error != NULL && self->switched && self->rolled_back &&
	           g_strcmp0 (self->switch_eim_id, eim->eim_id) == 0) {
		/* rolled back and still not delivered: the result waits on the card, with the
		 * usual backoff */
		self->switched = FALSE;
	}
	poller_publish (self);
}

/* A poll that failed before it reached the card. */
static void
run_record_failure (EsimdPoller *self, PollEim *eim, const GError *error)
{
	RunContext ctx = { 0 };

	ctx.targets = g_ptr_array_new ();
	run_record (self, &ctx, eim, NULL, error);
	g_ptr_array_unref (ctx.targets);
	g_clear_error (&ctx.error);
}

static void
run_cycle_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *euicc = g_task_get_source_object (task);
	EsimdPoller *self = euicc->poller;
	RunContext *ctx = g_task_get_task_data (task);
	const gchar *eim_id = g_ptr_array_index (ctx->targets, ctx->index);
	g_autoptr(EsimPollReport) report = NULL;
	g_autoptr(GError) error = NULL;
	PollEim *eim;

	report = esim_poll_cycle_finish (res, &error);
	if (report == NULL)
		report = esim_poll_cycle_dup_report (res);
	g_clear_object (&ctx->client);
	eim = self != NULL ? g_hash_table_lookup (self->eims, eim_id) : NULL;
	if (eim != NULL)
		run_record (self, ctx, eim, report, error);
	ctx->index++;
	run_next (task);
}

/* A pushed package ran: recorded as a poll of its eIM; its answer kept for the caller. */
static void
run_pushed_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *euicc = g_task_get_source_object (task);
	EsimdPoller *self = euicc->poller;
	RunContext *ctx = g_task_get_task_data (task);
	const gchar *eim_id = g_ptr_array_index (ctx->targets, ctx->index);
	g_autoptr(EsimPollReport) report = NULL;
	g_autoptr(GError) error = NULL;
	PollEim *eim;

	ctx->push_answer = esim_poll_cycle_execute_pushed_finish (res, &report, &error);
	g_clear_object (&ctx->client);
	eim = self != NULL ? g_hash_table_lookup (self->eims, eim_id) : NULL;
	if (eim != NULL)
		run_record (self, ctx, eim, report, error);
	else if (error != NULL && ctx->error == NULL)
		ctx->error = esimd_poller_error_normalize (error);
	/* one package, not a cycle: the rest of the run ends here */
	ctx->index = ctx->targets->len;
	run_next (task);
}

static void
run_cycle (GTask *task, PollEim *eim)
{
	EsimdEuicc *euicc = g_task_get_source_object (task);
	EsimdPoller *self = euicc->poller;
	RunContext *ctx = g_task_get_task_data (task);
	g_autoptr(EsimdEimSettings) settings = NULL;
	guint bounded_s = 0;
	GError *error = NULL;

	settings = esimd_config_get_eim_settings (self->config, eim->eim_id);
	/* in the rollback window every attempt fits the time left */
	if (self->switched && self->rollback_allowed &&
	    g_strcmp0 (self->switch_eim_id, eim->eim_id) == 0) {
		gint64 left = (self->switch_deadline - g_get_monotonic_time ()) / G_USEC_PER_SEC;

		if (!self->rollback_due && !self->rolled_back)
			left = (self->rollback_at - g_get_monotonic_time ()) / G_USEC_PER_SEC;
		bounded_s = (guint) CLAMP (left, 1, G_MAXINT);
	}
	ctx->client = poller_client (self, eim, bounded_s, &error);
	if (ctx->client == NULL) {
		run_record (self, ctx, eim, NULL, error);
		g_error_free (error);
		ctx->index++;
		run_next (task);
		return;
	}
	esim_device_info_init (&ctx->device);
	if (euicc->modem != NULL) {
		ctx->device.imei = euicc->modem->imei;
		esim_device_info_declare_radios (&ctx->device, euicc->modem->radios);
	}
	memset (&ctx->env, 0, sizeof (ctx->env));
	ctx->env.client = ctx->client;
	ctx->env.eim_config = eim->config;
	ctx->env.device_info = &ctx->device;
	ctx->env.new_smdp_server = poller_new_smdp_server;
	ctx->env.new_smdp_data = self;
	memset (&ctx->options, 0, sizeof (ctx->options));
	ctx->options.client = ctx->client;
	ctx->options.env = &ctx->env;
	ctx->options.journal = &store_journal;
	ctx->options.journal_data = self;
	ctx->options.max_packages = settings->max_packages;
	ctx->options.state_change_cause = eim->state_change;
	if (ctx->pushed != NULL) {
		esimd_obj_debug (euicc->log_id, "running a package pushed by eIM \"%s\"", eim->eim_id);
		esim_poll_cycle_execute_pushed_async (euicc->isdr, &ctx->options, &self->cache,
		                                      ctx->pushed, g_task_get_cancellable (task),
		                                      run_pushed_ready, task);
		return;
	}
	esimd_obj_debug (euicc->log_id, "polling eIM \"%s\" at %s", eim->eim_id,
	                 esim_esipa_client_get_address (ctx->client));
	esim_poll_cycle_async (euicc->isdr, &ctx->options, &self->cache,
	                       g_task_get_cancellable (task), run_cycle_ready, task);
}

static void
run_rollback_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *euicc = g_task_get_source_object (task);
	EsimdPoller *self = euicc->poller;
	RunContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;

	self->rollback_due = FALSE;
	g_clear_object (&ctx->client);
	if (!esim_poll_cycle_rollback_finish (res, &error)) {
		g_autoptr(GError) normalized = esimd_poller_error_normalize (error);

		const gchar *eim_id = g_ptr_array_index (ctx->targets, ctx->index);
		PollEim *eim = g_hash_table_lookup (self->eims, eim_id);

		esimd_obj_warn (euicc->log_id, "ProfileRollback failed: %s", normalized->message);
		/* not tried again: the eIM decides once it is reached */
		self->switched = FALSE;
		if (eim != NULL)
			run_record (self, ctx, eim, NULL, error);
		ctx->index++;
		run_next (task);
		return;
	}
	esimd_obj_info (euicc->log_id, "the previous profile is enabled again (ProfileRollback): "
	                "delivering its result");
	ctx->rolled_back = TRUE;
	self->rolled_back = TRUE;
	ctx->refresh |= ESIMD_REFRESH_PROFILES | ESIMD_REFRESH_NOTIFICATIONS;
	/* the cycle below delivers the rollback's result: the run goes on with it */
	run_next (task);
}

static void
run_refresh_ready (GObject *source, GAsyncResult *res, gpointer user_data);

static void
run_return (GTask *task)
{
	EsimdEuicc *euicc = g_task_get_source_object (task);
	RunContext *ctx = g_task_get_task_data (task);
	GVariantBuilder builder;

	if (euicc->poller != NULL)
		euicc->poller->running = FALSE;
	if (ctx->error != NULL) {
		g_task_return_error (task, g_steal_pointer (&ctx->error));
		return;
	}
	g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add (&builder, "{sv}", "eims", g_variant_new_uint32 (ctx->targets->len));
	g_variant_builder_add (&builder, "{sv}", "packages", g_variant_new_uint32 (ctx->packages));
	g_variant_builder_add (&builder, "{sv}", "results-delivered",
	                       g_variant_new_uint32 (ctx->results));
	g_variant_builder_add (&builder, "{sv}", "notifications-delivered",
	                       g_variant_new_uint32 (ctx->notifications));
	g_variant_builder_add (&builder, "{sv}", "more", g_variant_new_boolean (ctx->more));
	g_variant_builder_add (&builder, "{sv}", "enabled-profile-changed",
	                       g_variant_new_boolean (ctx->switched));
	g_variant_builder_add (&builder, "{sv}", "rolled-back",
	                       g_variant_new_boolean (ctx->rolled_back));
	g_task_return_pointer (task, g_variant_ref_sink (g_variant_builder_end (&builder)),
	                       (GDestroyNotify) g_variant_unref);
}

static void
run_close_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	EsimdEuicc *euicc = g_task_get_source_object (task);
	g_autoptr(GError) error = NULL;

	if (!esim_isdr_close_finish (ESIM_ISDR (source), res, &error))
		esimd_obj_debug (euicc->log_id, "closing the ISD-R: %s", error->message);
	else
		esimd_obj_debug (euicc->log_id, "idle after the eIM poll: logical channel closed");
	run_return (task);
}

/* The end of the run: the card goes idle, its logical channel is given back. */
static void
run_finish (GTask *task)
{
	EsimdEuicc *euicc = g_task_get_source_object (task);

	/* another operation waits: it uses the open channel */
	if (esimd_euicc_get_n_waiting (euicc) > 0 || !esimd_euicc_isdr_is_open (euicc)) {
		run_return (task);
		g_object_unref (task);
		return;
	}
	esim_isdr_close_async (euicc->isdr, NULL, run_close_ready, task);
}

static void
run_refresh_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *euicc = ESIMD_EUICC (source);
	g_autoptr(GError) error = NULL;

	if (!esimd_euicc_refresh_finish (euicc, res, &error))
		esimd_obj_warn (euicc->log_id, "reading the eUICC after the eIM poll failed: %s",
		                error->message);
	/* the bus shows the new state before the next step or the caller's answer */
	g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (euicc->skeleton));
	run_next (task);
}

static void
run_next (GTask *task)
{
	EsimdEuicc *euicc = g_task_get_source_object (task);
	EsimdPoller *self = euicc->poller;
	RunContext *ctx = g_task_get_task_data (task);
	guint refresh;

	if (self == NULL || g_cancellable_is_cancelled (g_task_get_cancellable (task))) {
		if (ctx->error == NULL)
			ctx->error = g_error_new_literal (ESIMD_ERROR, ESIMD_ERROR_FAILED, "cancelled");
		run_finish (task);
		return;
	}
	/* what changed is read before the next eIM is polled (a rollback, a new eIM…) */
	refresh = ctx->refresh;
	/* after a switch the card may have reset and its channel been forgotten: the
	 * ISD-R opens again on demand */
	if (refresh != 0 && (esimd_euicc_isdr_is_open (euicc) || ctx->switched)) {
		ctx->refresh = 0;
		esimd_euicc_refresh_async (euicc, refresh, g_task_get_cancellable (task),
		                           run_refresh_ready, task);
		return;
	}
	while (ctx->index < ctx->targets->len) {
		const gchar *eim_id = g_ptr_array_index (ctx->targets, ctx->index);
		PollEim *eim = g_hash_table_lookup (self->eims, eim_id);

		if (eim == NULL) {
			ctx->index++;
			continue;
		}
		if (self->rollback_due && g_strcmp0 (self->switch_eim_id, eim_id) == 0) {
			GError *error = NULL;

			esimd_obj_info (euicc->log_id, "eIM \"%s\" not reached on the new profile in "
			                "time: ProfileRollback", eim_id);
			g_clear_object (&ctx->client);
			ctx->client = poller_client (self, eim, 1, &error);
			if (ctx->client == NULL) {
				self->rollback_due = FALSE;
				self->switched = FALSE;
				run_record (self, ctx, eim, NULL, error);
				g_error_free (error);
				ctx->index++;
				continue;
			}
			ctx->options.client = ctx->client;
			ctx->options.max_packages = 0;
			ctx->options.state_change_cause = -1;
			ctx->options.journal = &store_journal;
			ctx->options.journal_data = self;
			esim_poll_cycle_rollback_async (euicc->isdr, &ctx->options, &self->cache,
			                                g_task_get_cancellable (task),
			                                run_rollback_ready, task);
			return;
		}
		run_cycle (task, eim);
		return;
	}
	run_finish (task);
}

static gint
compare_eim_ids (gconstpointer a, gconstpointer b)
{
	return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

void
esimd_poller_run_async (EsimdPoller *self, const gchar *eim_id, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task;
	RunContext *ctx;

	g_return_if_fail (self != NULL);

	task = g_task_new (self->euicc, cancellable, callback, user_data);
	g_task_set_source_tag (task, esimd_poller_run_async);
	ctx = g_new0 (RunContext, 1);
	ctx->targets = g_ptr_array_new_with_free_func (g_free);
	if (eim_id != NULL && eim_id[0] != '\0') {
		g_ptr_array_add (ctx->targets, g_strdup (eim_id));
	} else {
		GHashTableIter iter;
		gpointer key;

		g_hash_table_iter_init (&iter, self->eims);
		while (g_hash_table_iter_next (&iter, &key, NULL))
			g_ptr_array_add (ctx->targets, g_strdup (key));
		g_ptr_array_sort (ctx->targets, compare_eim_ids);
	}
	g_task_set_task_data (task, ctx, (GDestroyNotify) run_context_free);
	if (ctx->targets->len == 0) {
		g_task_return_new_error (task, ESIMD_ERROR, ESIMD_ERROR_NOT_FOUND,
		                         "this eUICC has no eIM");
		g_object_unref (task);
		return;
	}
	self->running = TRUE;
	poller_stop_timer (self);
	run_next (task);
}

GVariant *
esimd_poller_run_finish (EsimdPoller *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (self != NULL, NULL);
	g_return_val_if_fail (g_task_is_valid (res, self->euicc), NULL);
	return g_task_propagate_pointer (G_TASK (res), error);
}

void
esimd_poller_execute_pushed_async (EsimdPoller *self, const gchar *eim_id,
                                   const EsimEimPackage *package, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task;
	RunContext *ctx;

	g_return_if_fail (self != NULL);
	g_return_if_fail (eim_id != NULL && package != NULL);

	task = g_task_new (self->euicc, cancellable, callback, user_data);
	g_task_set_source_tag (task, esimd_poller_execute_pushed_async);
	ctx = g_new0 (RunContext, 1);
	ctx->targets = g_ptr_array_new_with_free_func (g_free);
	g_ptr_array_add (ctx->targets, g_strdup (eim_id));
	ctx->pushed = package;
	g_task_set_task_data (task, ctx, (GDestroyNotify) run_context_free);
	if (g_hash_table_lookup (self->eims, eim_id) == NULL) {
		g_task_return_new_error (task, ESIMD_ERROR, ESIMD_ERROR_NOT_FOUND,
		                         "this eUICC has no eIM \"%s\"", eim_id);
		g_object_unref (task);
		return;
	}
	self->running = TRUE;
	poller_stop_timer (self);
	run_next (task);
}

EsimPollPushAnswer *
esimd_poller_execute_pushed_finish (EsimdPoller *self, GAsyncResult *res, GError **error)
{
	g_autoptr(GVariant) summary = NULL;
	RunContext *ctx;

	g_return_val_if_fail (self != NULL, NULL);
	g_return_val_if_fail (g_task_is_valid (res, self->euicc), NULL);

	ctx = g_task_get_task_data (G_TASK (res));
	summary = g_task_propagate_pointer (G_TASK (res), error);
	/* the package's own answer, even when delivering its result afterwards failed */
	if (ctx->push_answer != NULL) {
		g_clear_error (error);
		return g_steal_pointer (&ctx->push_answer);
	}
	if (summary != NULL)
		g_set_error_literal (error, ESIMD_ERROR, ESIMD_ERROR_FAILED,
		                     "the pushed package gave no answer");
	return NULL;
}

/* ---- after a switch: the new profile's connection, or the rollback ---- */

static gboolean
poller_rollback_point_cb (gpointer user_data)
{
	EsimdPoller *self = user_data;
	PollEim *eim;

	self->switch_timer_id = 0;
	if (!self->switched)
		return G_SOURCE_REMOVE;
	eim = g_hash_table_lookup (self->eims, self->switch_eim_id);
	if (!self->rollback_allowed || eim == NULL) {
		self->switched = FALSE;
		return G_SOURCE_REMOVE;
	}
	self->rollback_due = TRUE;
	eim->due = now_s ();
	poller_publish (self);
	esimd_poller_update (self);
	return G_SOURCE_REMOVE;
}

static void
poller_switch_arm (EsimdPoller *self, const gchar *eim_id, gboolean rollback_allowed)
{
	g_autoptr(EsimdEimSettings) settings = NULL;
	gint64 now = g_get_monotonic_time ();
	PollEim *eim = g_hash_table_lookup (self->eims, eim_id);

	settings = esimd_config_get_eim_settings (self->config, eim_id);
	g_free (self->switch_eim_id);
	self->switch_eim_id = g_strdup (eim_id);
	self->switched = TRUE;
	self->rollback_allowed = rollback_allowed;
	self->rollback_due = FALSE;
	self->rolled_back = FALSE;
	self->switch_deadline = now + (gint64) settings->rollback_timeout_s * G_USEC_PER_SEC;
	/* half the window to reach the eIM on the new profile, half for the rollback and its
	 * delivery */
	self->rollback_at = now + (gint64) settings->rollback_timeout_s * G_USEC_PER_SEC / 2;
	if (self->switch_timer_id != 0)
		g_source_remove (self->switch_timer_id);
	self->switch_timer_id = 0;
	if (rollback_allowed)
		self->switch_timer_id = g_timeout_add ((guint) ((self->rollback_at - now) / 1000),
		                                       poller_rollback_point_cb, self);
	esimd_obj_info (self->euicc->log_id, "the enabled profile changed: polling eIM \"%s\" on the "
	                "new profile%s", eim_id,
	                rollback_allowed ? " (rollback allowed: ProfileRollback if it cannot be "
	                "reached in time)" : "");
	if (eim == NULL)
		return;
	/* a modem's data connection comes back after its registration on the new profile:
	 * the poll is asked for then (esimd_poller_connected) */
	eim->due = self->euicc->modem != NULL ? 0 : now_s ();
	if (self->euicc->modem != NULL && !rollback_allowed) {
		g_autoptr(EsimdEimSettings) eim_settings = NULL;

		eim_settings = esimd_config_get_eim_settings (self->config, eim_id);
		eim->due = now_s () + poller_jitter (self, eim_settings->poll_interval_s);
	}
}

void
esimd_poller_local_change (EsimdPoller *self, gint cause)
{
	GHashTableIter iter;
	gpointer value;

	g_return_if_fail (self != NULL);

	g_hash_table_iter_init (&iter, self->eims);
	while (g_hash_table_iter_next (&iter, NULL, &value)) {
		PollEim *eim = value;

		eim->state_change = cause;
		eim->due = now_s ();
	}
	if (g_hash_table_size (self->eims) > 0)
		esimd_obj_info (self->euicc->log_id, "the card changed locally: telling the eIM%s "
		                "(notifyStateChange)", g_hash_table_size (self->eims) > 1 ? "s" : "");
	poller_publish (self);
	esimd_poller_update (self);
}

void
esimd_poller_connected (EsimdPoller *self)
{
	g_return_if_fail (self != NULL);

	if (g_hash_table_size (self->eims) == 0)
		return;
	esimd_obj_info (self->euicc->log_id, "the modem's data connection is up: polling the eIM%s",
	                g_hash_table_size (self->eims) > 1 ? "s" : "");
	esimd_poller_poll_soon (self, NULL);
}

/* ---- object ---- */

EsimdPoller *
esimd_poller_new (EsimdEuicc *euicc, EsimdStore *store, const EsimdConfig *config)
{
	EsimdPoller *self;

	g_return_val_if_fail (ESIMD_IS_EUICC (euicc), NULL);
	g_return_val_if_fail (store != NULL, NULL);
	g_return_val_if_fail (config != NULL, NULL);

	self = g_new0 (EsimdPoller, 1);
	self->euicc = euicc;
	self->store = store;
	self->config = config;
	self->eims = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
	                                    (GDestroyNotify) poll_eim_free);
	return self;
}

void
esimd_poller_free (EsimdPoller *self)
{
	if (self == NULL)
		return;
	poller_stop_timer (self);
	if (self->switch_timer_id != 0)
		g_source_remove (self->switch_timer_id);
	g_hash_table_unref (self->eims);
	esim_poll_cache_clear (&self->cache);
	g_free (self->switch_eim_id);
	g_free (self);
}
