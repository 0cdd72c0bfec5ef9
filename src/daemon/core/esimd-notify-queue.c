/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The notification queue of one eUICC (esimd-notify-queue.h): the triggers,
 * the retry timer, the journal in the state directory, and what the log and
 * ListNotifications() say about each notification.
 */

#include "esim-notify.h"
#include "esim-util.h"
#include "esimd-error.h"
#include "esimd-euicc-private.h"
#include "esimd-log.h"
#include "esimd-notify-queue.h"
#include "esimd-trust.h"

/* failed attempts after which the log also says what a user can do about it */
#define ESIMD_NOTIFY_WARN_ATTEMPTS 8

/* What the last round said about a notification left on the card. */
typedef struct {
	EsimNotifyItemState state;
	guint               attempts;
	gint64              next_attempt;
	gchar              *error;   /* the last failure's message; NULL */
} KnownItem;

struct _EsimdNotifyQueue {
	EsimdEuicc        *euicc;          /* owns the queue */
	EsimdStore        *store;
	const EsimdConfig *config;
	guint              timer_id;
	gint64             timer_due;      /* unix seconds the timer is set for */
	gboolean           wanted;         /* a round is asked for as soon as possible */
	gboolean           requested;      /* esimd's own round waits in the eUICC's queue or runs */
	gboolean           running;        /* a round runs on the card */
	guint              failed_rounds;  /* rounds in a row that failed as a whole */
	gint64             next_attempt;   /* the earliest retry due, 0: none */
	EsimCiStore       *ci_store;       /* read at the first round */
	gchar             *items_eid;      /* the card the known items are of */
	GHashTable        *items;          /* guint64* seq -> KnownItem* */
};

static void
known_item_free (KnownItem *item)
{
	g_free (item->error);
	g_free (item);
}

static gint64
now_s (void)
{
	return g_get_real_time () / G_USEC_PER_SEC;
}

/* SGP.32 §3.7: with an eIM, notifications go through it (issue 8 delivers them). */
static gboolean
queue_routes_via_eim (EsimdNotifyQueue *self)
{
	return g_hash_table_size (self->euicc->eims) > 0;
}

/* ---- the journal: the eUICC's record in the state directory ---- */

static GArray *
journal_list (gpointer user_data)
{
	EsimdNotifyQueue *self = user_data;
	g_autoptr(GArray) stored = esimd_store_get_notifications (self->store, self->euicc->eid);
	GArray *records = g_array_sized_new (FALSE, TRUE, sizeof (EsimNotifyRecord), stored->len);

	for (guint i = 0; i < stored->len; i++) {
		const EsimdNotificationRecord *from = &g_array_index (stored, EsimdNotificationRecord, i);
		EsimNotifyRecord record = {
			.seq = from->seq,
			.delivered = from->delivered,
			.attempts = from->attempts,
			.next_attempt = from->next_attempt,
		};

		g_strlcpy (record.digest, from->digest, sizeof (record.digest));
		g_array_append_val (records, record);
	}
	return records;
}

static gboolean
journal_save (gpointer user_data, const EsimNotifyRecord *record, GError **error)
{
	EsimdNotifyQueue *self = user_data;
	EsimdNotificationRecord to = {
		.seq = record->seq,
		.delivered = record->delivered,
		.attempts = record->attempts,
		.next_attempt = record->next_attempt,
	};

	g_strlcpy (to.digest, record->digest, sizeof (to.digest));
	return esimd_store_set_notification (self->store, self->euicc->eid, &to, error);
}

static gboolean
journal_forget (gpointer user_data, guint64 seq, GError **error)
{
	EsimdNotifyQueue *self = user_data;

	return esimd_store_forget_notification (self->store, self->euicc->eid, seq, error);
}

static const EsimNotifyJournal store_journal = {
	journal_list, journal_save, journal_forget,
};

/* ---- the timer ---- */

static void
queue_stop_timer (EsimdNotifyQueue *self)
{
	if (self->timer_id != 0)
		g_source_remove (self->timer_id);
	self->timer_id = 0;
	self->timer_due = 0;
}

/* The card can be worked with: not absent, not in error, not going away. */
static gboolean
queue_card_usable (EsimdNotifyQueue *self)
{
	EsimdEuicc *euicc = self->euicc;

	if (euicc->gone_error != NULL || euicc->close_task != NULL)
		return FALSE;
	if ((euicc->modem != NULL && !euicc->modem_present) || euicc->card_absent)
		return FALSE;
	return euicc->healthy && euicc->eid != NULL;
}

static void
queue_round_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimdEuicc *euicc = ESIMD_EUICC (source);
	EsimdNotifyQueue *self = euicc->notify;
	g_autoptr(GError) error = NULL;
	gboolean ok = esimd_euicc_request_finish (euicc, res, NULL, &error);
	guint delay;

	if (self == NULL)
		return;
	self->requested = FALSE;
	if (ok) {
		self->failed_rounds = 0;
	} else {
		if (euicc->gone_error != NULL || euicc->close_task != NULL)
			return;
		/* a card that failed under the round is not asked again at once */
		self->failed_rounds = MIN (self->failed_rounds, G_MAXUINT - 1) + 1;
		delay = esim_notify_backoff_delay (self->failed_rounds,
		                                   self->config->notify_retry_initial_s,
		                                   self->config->notify_retry_max_s);
		self->next_attempt = now_s () + delay;
		esimd_obj_info (euicc->log_id, "notifications: the round failed (%s); next one in %u s",
		                error->message, delay);
	}
	esimd_notify_queue_update (self);
}

static gboolean
queue_timer_cb (gpointer user_data)
{
	EsimdNotifyQueue *self = user_data;

	self->timer_id = 0;
	self->timer_due = 0;
	if (self->requested || !queue_card_usable (self) || queue_routes_via_eim (self))
		return G_SOURCE_REMOVE;
	self->requested = TRUE;
	/* the eUICC holds a reference while the request waits: the callback finds the queue */
	esimd_euicc_request_async (self->euicc, ESIMD_OP_PROCESS_NOTIFICATIONS, NULL,
	                           g_variant_new_boolean (FALSE), queue_round_done, NULL);
	return G_SOURCE_REMOVE;
}

void
esimd_notify_queue_update (EsimdNotifyQueue *self)
{
	gint64 now = now_s ();
	gint64 due;

	g_return_if_fail (self != NULL);

	if (!self->config->notify_automatic || self->requested || !queue_card_usable (self) ||
	    queue_routes_via_eim (self)) {
		queue_stop_timer (self);
		return;
	}
	due = self->wanted ? now : self->next_attempt;
	if (due == 0) {
		queue_stop_timer (self);
		return;
	}
	if (self->timer_id != 0 && self->timer_due == due)
		return;
	queue_stop_timer (self);
	self->timer_due = due;
	if (due <= now) {
		self->timer_id = g_idle_add (queue_timer_cb, self);
		return;
	}
	esimd_obj_debug (self->euicc->log_id, "notifications: next round in %" G_GINT64_FORMAT " s",
	                 due - now);
	self->timer_id = g_timeout_add_seconds ((guint) MIN (due - now, (gint64) G_MAXUINT / 1000),
	                                        queue_timer_cb, self);
}

void
esimd_notify_queue_count_changed (EsimdNotifyQueue *self, guint old_count, guint new_count)
{
	g_return_if_fail (self != NULL);

	/* a round sets the count itself; a lower count leaves nothing new to send */
	if (self->running || new_count <= old_count)
		return;
	if (queue_routes_via_eim (self)) {
		esimd_obj_info (self->euicc->log_id,
		                "%u notification(s) pending: this eUICC has an eIM, which routes them "
		                "(SGP.32): they stay queued on the card, not sent directly", new_count);
		return;
	}
	self->wanted = TRUE;
	esimd_notify_queue_update (self);
}

/* ---- the round ---- */

static GVariant *
round_reply (const gchar *route, const EsimNotifyResult *result, guint left)
{
	GVariantBuilder builder;

	g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add (&builder, "{sv}", "route", g_variant_new_string (route));
	g_variant_builder_add (&builder, "{sv}", "delivered",
	                       g_variant_new_uint32 (result != NULL ? result->delivered : 0));
	g_variant_builder_add (&builder, "{sv}", "removed",
	                       g_variant_new_uint32 (result != NULL ? result->removed : 0));
	g_variant_builder_add (&builder, "{sv}", "failed",
	                       g_variant_new_uint32 (result != NULL ? result->failed : 0));
	g_variant_builder_add (&builder, "{sv}", "left", g_variant_new_uint32 (left));
	g_variant_builder_add (&builder, "{sv}", "next-attempt",
	                       g_variant_new_int64 (result != NULL ? result->next_attempt : 0));
	return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static void
log_item (EsimdNotifyQueue *self, const EsimNotifyItem *item)
{
	const gchar *log_id = self->euicc->log_id;
	const gchar *operation = esim_notification_event_to_string (item->events);
	g_autofree gchar *iccid = esim_log_personal (item->iccid);
	g_autofree gchar *what = g_strdup_printf ("notification %" G_GUINT64_FORMAT " (%s, ICCID %s)",
	                                          item->seq, operation != NULL ? operation : "?",
	                                          item->iccid != NULL ? iccid : "none");
	gint64 wait = item->next_attempt > 0 ? item->next_attempt - now_s () : 0;

	switch (item->state) {
	case ESIM_NOTIFY_ITEM_DELIVERED:
		esimd_obj_info (log_id, "%s delivered to %s and removed from the card", what,
		                item->address);
		return;
	case ESIM_NOTIFY_ITEM_REMOVED:
		esimd_obj_info (log_id, "%s removed from the card without sending it again: %s had "
		                "accepted it already", what, item->address);
		return;
	case ESIM_NOTIFY_ITEM_ACCEPTED:
		esimd_obj_warn (log_id, "%s was accepted by %s but the card did not remove it (%s): "
		                "removing it again in %" G_GINT64_FORMAT " s, without sending it", what,
		                item->address, item->error, wait);
		return;
	case ESIM_NOTIFY_ITEM_FAILING:
	case ESIM_NOTIFY_ITEM_REFUSED:
		esimd_log_object (log_id, item->attempts == 1 ||
		                  item->attempts == ESIMD_NOTIFY_WARN_ATTEMPTS ?
		                  G_LOG_LEVEL_WARNING : G_LOG_LEVEL_INFO,
		                  "%s to %s: %s%s (attempt %u); next attempt in %" G_GINT64_FORMAT
		                  " s%s", what, item->address,
		                  item->state == ESIM_NOTIFY_ITEM_REFUSED ? "refused: " : "",
		                  item->error, item->attempts, wait,
		                  item->attempts >= ESIMD_NOTIFY_WARN_ATTEMPTS ?
		                  "; it stays on the card until delivered (esimcli notification remove "
		                  "drops it unsent)" : "");
		return;
	case ESIM_NOTIFY_ITEM_PENDING:
	case ESIM_NOTIFY_ITEM_UNDELIVERABLE:
	default:
		return;
	}
}

/* Keeps what the round said of the notifications left, logs what it did. */
static void
queue_apply_result (EsimdNotifyQueue *self, const EsimNotifyResult *result)
{
	g_autoptr(GHashTable) previous = g_steal_pointer (&self->items);

	if (g_strcmp0 (self->items_eid, self->euicc->eid) != 0)
		g_hash_table_remove_all (previous);
	g_free (self->items_eid);
	self->items_eid = g_strdup (self->euicc->eid);
	self->items = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
	                                     (GDestroyNotify) known_item_free);
	for (guint i = 0; i < result->items->len; i++) {
		const EsimNotifyItem *item = g_ptr_array_index (result->items, i);
		KnownItem *before = g_hash_table_lookup (previous, &item->seq);
		KnownItem *known;

		if (item->tried)
			log_item (self, item);
		else if (item->state == ESIM_NOTIFY_ITEM_UNDELIVERABLE && before == NULL)
			esimd_obj_info (self->euicc->log_id, "notification %" G_GUINT64_FORMAT " has no "
			                "address (a form for an eIM): left on the card", item->seq);
		if (item->state == ESIM_NOTIFY_ITEM_DELIVERED || item->state == ESIM_NOTIFY_ITEM_REMOVED)
			continue;
		known = g_new0 (KnownItem, 1);
		known->state = item->state;
		known->attempts = item->attempts;
		known->next_attempt = item->next_attempt;
		/* not tried now: the reason it failed last time still holds */
		if (item->error != NULL)
			known->error = g_strdup (item->error);
		else if (before != NULL && item->attempts > 0)
			known->error = g_strdup (before->error);
		if (before != NULL && !item->tried && before->state == ESIM_NOTIFY_ITEM_REFUSED &&
		    item->state == ESIM_NOTIFY_ITEM_FAILING)
			known->state = ESIM_NOTIFY_ITEM_REFUSED;
		g_hash_table_insert (self->items, g_memdup2 (&item->seq, sizeof (item->seq)), known);
	}
	self->next_attempt = result->next_attempt;
	if (result->delivered + result->removed + result->failed > 0)
		esimd_obj_info (self->euicc->log_id, "notifications: %u delivered, %u removed without "
		                "sending again, %u failed, %u left on the card", result->delivered,
		                result->removed, result->failed, result->left);
	else
		esimd_obj_debug (self->euicc->log_id, "notifications: nothing due, %u left on the card",
		                 result->left);
}

static void
queue_round_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	EsimdEuicc *euicc = g_task_get_source_object (task);
	EsimdNotifyQueue *self = euicc->notify;
	g_autoptr(EsimNotifyResult) result = NULL;
	GError *error = NULL;

	result = esim_notify_round_finish (ESIM_ISDR (source), res, &error);
	if (result == NULL) {
		self->running = FALSE;
		g_task_return_error (task, error);
		return;
	}
	queue_apply_result (self, result);
	/* the round saw the list: no need to read the count again */
	esimd_euicc_set_pending_notifications (euicc, result->left);
	self->running = FALSE;
	g_task_return_pointer (task, round_reply ("direct", result, result->left),
	                       (GDestroyNotify) g_variant_unref);
}

void
esimd_notify_queue_round_async (EsimdNotifyQueue *self, gboolean force,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data)
{
	EsimdEuicc *euicc;
	g_autoptr(GTask) task = NULL;
	g_autoptr(GTlsDatabase) system_database = NULL;
	EsimNotifyOptions options = { 0 };

	g_return_if_fail (self != NULL);

	euicc = self->euicc;
	task = g_task_new (euicc, cancellable, callback, user_data);
	g_task_set_source_tag (task, esimd_notify_queue_round_async);
	self->wanted = FALSE;
	if (queue_routes_via_eim (self)) {
		guint pending = esimd_gdbus_euicc_get_pending_notifications (euicc->skeleton);

		esimd_obj_info (euicc->log_id, "%u notification(s) pending: this eUICC has an eIM, "
		                "which routes them (SGP.32): not sent directly", pending);
		g_task_return_pointer (task, round_reply ("eim", NULL, pending),
		                       (GDestroyNotify) g_variant_unref);
		return;
	}
	if (euicc->eid == NULL) {
		g_task_return_new_error (task, ESIMD_ERROR, ESIMD_ERROR_FAILED,
		                         "the eUICC's EID is not known yet: no notification is sent "
		                         "before it was read");
		return;
	}
	/* read once: the directories' problems are logged once */
	if (self->ci_store == NULL)
		self->ci_store = esimd_trust_new_ci_store (self->config);
	system_database = esimd_trust_dup_system_database ();
	options.journal = &store_journal;
	options.journal_data = self;
	options.ci_store = self->ci_store;
	options.system_database = system_database;
	options.retry_initial_s = self->config->notify_retry_initial_s;
	options.retry_max_s = self->config->notify_retry_max_s;
	options.force = force;
	self->running = TRUE;
	esim_notify_round_async (euicc->isdr, &options, cancellable, queue_round_ready,
	                         g_steal_pointer (&task));
}

GVariant *
esimd_notify_queue_round_finish (EsimdNotifyQueue *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (self != NULL, NULL);
	g_return_val_if_fail (g_task_is_valid (res, self->euicc), NULL);
	return g_task_propagate_pointer (G_TASK (res), error);
}

/* ---- ListNotifications ---- */

static const gchar *
known_state_name (EsimNotifyItemState state)
{
	switch (state) {
	case ESIM_NOTIFY_ITEM_ACCEPTED:
		return "delivered";
	case ESIM_NOTIFY_ITEM_FAILING:
		return "failing";
	case ESIM_NOTIFY_ITEM_REFUSED:
		return "refused";
	case ESIM_NOTIFY_ITEM_UNDELIVERABLE:
		return "undeliverable";
	case ESIM_NOTIFY_ITEM_PENDING:
	default:
		return "pending";
	}
}

void
esimd_notify_queue_describe (EsimdNotifyQueue *self, guint64 seq, GVariantBuilder *dict)
{
	const gchar *state = "pending";
	const gchar *error = NULL;
	EsimdNotificationRecord record;
	guint attempts = 0;
	gint64 next_attempt = 0;
	KnownItem *known = NULL;

	g_return_if_fail (self != NULL);

	if (queue_routes_via_eim (self)) {
		g_variant_builder_add (dict, "{sv}", "route", g_variant_new_string ("eim"));
		g_variant_builder_add (dict, "{sv}", "state", g_variant_new_string ("pending"));
		return;
	}
	if (g_strcmp0 (self->items_eid, self->euicc->eid) == 0)
		known = g_hash_table_lookup (self->items, &seq);
	if (known != NULL) {
		state = known_state_name (known->state);
		attempts = known->attempts;
		next_attempt = known->next_attempt;
		error = known->error;
	} else if (self->euicc->eid != NULL &&
	           esimd_store_lookup_notification (self->store, self->euicc->eid, seq, &record)) {
		/* not seen by a round of this esimd yet: what the last one recorded */
		state = record.delivered ? "delivered" : record.attempts > 0 ? "failing" : "pending";
		attempts = record.attempts;
		next_attempt = record.next_attempt;
	}
	g_variant_builder_add (dict, "{sv}", "route", g_variant_new_string ("direct"));
	g_variant_builder_add (dict, "{sv}", "state", g_variant_new_string (state));
	g_variant_builder_add (dict, "{sv}", "attempts", g_variant_new_uint32 (attempts));
	g_variant_builder_add (dict, "{sv}", "next-attempt", g_variant_new_int64 (next_attempt));
	if (error != NULL)
		g_variant_builder_add (dict, "{sv}", "last-error", g_variant_new_string (error));
}

/* ---- object ---- */

EsimdNotifyQueue *
esimd_notify_queue_new (EsimdEuicc *euicc, EsimdStore *store, const EsimdConfig *config)
{
	EsimdNotifyQueue *self;

	g_return_val_if_fail (ESIMD_IS_EUICC (euicc), NULL);
	g_return_val_if_fail (store != NULL, NULL);
	g_return_val_if_fail (config != NULL, NULL);

	self = g_new0 (EsimdNotifyQueue, 1);
	self->euicc = euicc;
	self->store = store;
	self->config = config;
	self->items = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
	                                     (GDestroyNotify) known_item_free);
	return self;
}

void
esimd_notify_queue_free (EsimdNotifyQueue *self)
{
	if (self == NULL)
		return;
	queue_stop_timer (self);
	g_clear_object (&self->ci_store);
	g_hash_table_unref (self->items);
	g_free (self->items_eid);
	g_free (self);
}
