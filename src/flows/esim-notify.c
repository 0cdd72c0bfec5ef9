/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The notification round (esim-notify.h): list -> for each: [trust] -> send
 * -> record -> remove -> forget.  Nothing personal is logged here (no ICCID,
 * no notification content): the caller logs the result.
 */

#define G_LOG_DOMAIN "esim"

#include <string.h>

#include "esim-es9p-client.h"
#include "esim-es9p.h"
#include "esim-notify.h"
#include "esim-tls-database.h"

/* seconds: retries due this close to a round's start are made in it */
#define ESIM_NOTIFY_DUE_SLACK_S 2

typedef enum {
	NOTIFY_STEP_FIRST,
	NOTIFY_STEP_LIST,
	NOTIFY_STEP_FORGET_STALE,
	NOTIFY_STEP_EACH,
	NOTIFY_STEP_LAST,
} NotifyStep;

/* What is done with the notification at ctx->index. */
typedef enum {
	ACTION_SKIP,     /* nothing now: the item says why */
	ACTION_SEND,
	ACTION_REMOVE,   /* accepted earlier: removal only */
} NotifyAction;

typedef struct {
	EsimIsdr             *isdr;
	EsimNotifyOptions     options;
	NotifyStep            step;
	gint64                now;
	/* one jitter per round: notifications that failed together are retried together */
	gdouble               jitter;
	EsimNotificationList *list;
	guint                 index;
	GHashTable           *records;   /* guint64* seq -> EsimNotifyRecord* */
	GHashTable           *clients;   /* address -> EsimEs9pClient */
	GHashTable           *down;      /* address -> gchar* why it failed in this round */
	GTlsDatabase         *database;  /* built before the first send */
	EsimNotifyResult     *result;
	/* the notification being handled */
	EsimNotifyRecord      record;
	EsimNotifyItem       *item;
} NotifyContext;

static void notify_step (GTask *task);

const gchar *
esim_notify_item_state_to_string (EsimNotifyItemState state)
{
	switch (state) {
	case ESIM_NOTIFY_ITEM_PENDING:
		return "pending";
	case ESIM_NOTIFY_ITEM_DELIVERED:
		return "delivered";
	case ESIM_NOTIFY_ITEM_REMOVED:
		return "removed";
	case ESIM_NOTIFY_ITEM_ACCEPTED:
		return "accepted";
	case ESIM_NOTIFY_ITEM_FAILING:
		return "failing";
	case ESIM_NOTIFY_ITEM_REFUSED:
		return "refused";
	case ESIM_NOTIFY_ITEM_UNDELIVERABLE:
		return "undeliverable";
	default:
		return "unknown";
	}
}

static void
notify_item_free (EsimNotifyItem *item)
{
	g_free (item->address);
	g_free (item->iccid);
	g_free (item->error);
	g_free (item);
}

void
esim_notify_result_free (EsimNotifyResult *result)
{
	if (result == NULL)
		return;
	g_ptr_array_unref (result->items);
	g_free (result);
}

/* @random in [0, 1) takes up to a quarter off: devices that failed together do not
 * retry together. */
static guint
backoff_delay (guint attempts, guint initial_s, guint max_s, gdouble random)
{
	guint64 delay = MAX (initial_s, 1);

	max_s = MAX (max_s, 1);
	for (guint i = 1; i < attempts && delay < max_s; i++)
		delay *= 2;
	delay = MIN (delay, max_s);
	delay -= (guint64) ((gdouble) (delay / 4) * CLAMP (random, 0.0, 1.0));
	return (guint) MAX (delay, 1);
}

guint
esim_notify_backoff_delay (guint attempts, guint initial_s, guint max_s)
{
	return backoff_delay (attempts, initial_s, max_s, g_random_double ());
}

static void
notify_context_free (NotifyContext *ctx)
{
	g_clear_object (&ctx->isdr);
	g_clear_object (&ctx->options.ci_store);
	g_clear_object (&ctx->options.system_database);
	g_clear_pointer (&ctx->list, esim_notification_list_free);
	g_hash_table_unref (ctx->records);
	g_hash_table_unref (ctx->clients);
	g_hash_table_unref (ctx->down);
	g_clear_object (&ctx->database);
	esim_notify_result_free (ctx->result);
	g_free (ctx);
}

static guint
retry_initial (NotifyContext *ctx)
{
	return ctx->options.retry_initial_s != 0 ? ctx->options.retry_initial_s :
	       ESIM_NOTIFY_RETRY_INITIAL_DEFAULT;
}

static guint
retry_max (NotifyContext *ctx)
{
	guint max = ctx->options.retry_max_s != 0 ? ctx->options.retry_max_s :
	            ESIM_NOTIFY_RETRY_MAX_DEFAULT;

	return MAX (max, retry_initial (ctx));
}

/* The card answered, and the answer was no: the round can go on with the next one. */
static gboolean
card_error_is_refusal (const GError *error)
{
	if (error->domain == ESIM_ES10_ERROR)
		return TRUE;
	if (error->domain != ESIM_APDU_ERROR)
		return FALSE;
	return error->code != ESIM_APDU_ERROR_TRANSPORT &&
	       error->code != ESIM_APDU_ERROR_CHANNEL_CLOSED &&
	       error->code != ESIM_APDU_ERROR_NO_CHANNEL &&
	       error->code != ESIM_APDU_ERROR_SESSION_LOST;
}

static void
notify_fail (GTask *task, GError *error)
{
	g_task_return_error (task, error);
	g_object_unref (task);
}

static void
notify_next (GTask *task)
{
	NotifyContext *ctx = g_task_get_task_data (task);

	ctx->item = NULL;
	ctx->index++;
	notify_step (task);
}

/* Saves ctx->record; a journal that cannot be written is logged, and the round goes on:
 * the card still holds the truth, and the next round finds it there. */
static void
journal_save (NotifyContext *ctx)
{
	g_autoptr(GError) error = NULL;

	if (!ctx->options.journal->save (ctx->options.journal_data, &ctx->record, &error))
		g_warning ("notification %" G_GUINT64_FORMAT ": cannot record its state: %s",
		           ctx->record.seq, error->message);
}

static void
journal_forget (NotifyContext *ctx, guint64 seq)
{
	g_autoptr(GError) error = NULL;

	if (!ctx->options.journal->forget (ctx->options.journal_data, seq, &error))
		g_warning ("notification %" G_GUINT64_FORMAT ": cannot forget its record: %s", seq,
		           error->message);
}

/* ---- a failed attempt ---- */

/* Counts a failed attempt of ctx->record and puts the next one off. */
static void
record_failure (NotifyContext *ctx, EsimNotifyItemState state, const gchar *message)
{
	EsimNotifyItem *item = ctx->item;
	guint delay;

	ctx->record.attempts = MIN (ctx->record.attempts, G_MAXUINT - 1) + 1;
	/* a refusal will not change soon: the longest delay at once */
	delay = state == ESIM_NOTIFY_ITEM_REFUSED ? retry_max (ctx) :
	        backoff_delay (ctx->record.attempts, retry_initial (ctx), retry_max (ctx), ctx->jitter);
	/* from now, not from the round's start: a server that took its time is not asked
	 * again sooner for it */
	ctx->record.next_attempt = g_get_real_time () / G_USEC_PER_SEC + delay;
	journal_save (ctx);
	item->state = state;
	item->attempts = ctx->record.attempts;
	item->next_attempt = ctx->record.next_attempt;
	item->tried = TRUE;
	g_free (item->error);
	item->error = g_strdup (message);
	ctx->result->failed++;
	g_debug ("notification %" G_GUINT64_FORMAT " to %s: attempt %u failed (%s), next in %u s",
	         item->seq, item->address != NULL ? item->address : "(none)", ctx->record.attempts,
	         message, delay);
}

/* ---- removal ---- */

static void
notify_remove_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	NotifyContext *ctx = g_task_get_task_data (task);
	EsimNotifyItem *item = ctx->item;
	g_autoptr(GError) error = NULL;

	/* nothingToDelete: it is gone, which is what was wanted */
	if (!esim_es10_remove_notification_finish (ESIM_ISDR (source), res, &error) &&
	    !g_error_matches (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_NOTHING_TO_DELETE)) {
		if (!card_error_is_refusal (error)) {
			g_prefix_error (&error, "removing notification %" G_GUINT64_FORMAT ": ", item->seq);
			notify_fail (task, g_steal_pointer (&error));
			return;
		}
		/* accepted but still on the card: the next round removes it, without sending */
		record_failure (ctx, ESIM_NOTIFY_ITEM_ACCEPTED, error->message);
		ctx->result->left++;
		notify_next (task);
		return;
	}
	journal_forget (ctx, item->seq);
	g_hash_table_remove (ctx->records, &item->seq);
	if (item->state != ESIM_NOTIFY_ITEM_DELIVERED) {
		item->state = ESIM_NOTIFY_ITEM_REMOVED;
		ctx->result->removed++;
	}
	item->tried = TRUE;
	item->attempts = 0;
	item->next_attempt = 0;
	notify_next (task);
}

static void
notify_remove (GTask *task)
{
	NotifyContext *ctx = g_task_get_task_data (task);

	esim_es10_remove_notification (ctx->isdr, ctx->item->seq, g_task_get_cancellable (task),
	                               notify_remove_ready, task);
}

/* ---- sending ---- */

static void
notify_send_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	NotifyContext *ctx = g_task_get_task_data (task);
	EsimNotifyItem *item = ctx->item;
	g_autoptr(GError) error = NULL;

	if (!esim_es9p_client_handle_notification_finish (ESIM_ES9P_CLIENT (source), res, &error)) {
		if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			notify_fail (task, g_steal_pointer (&error));
			return;
		}
		if (g_error_matches (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_FAILED) ||
		    g_error_matches (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_EXPIRED)) {
			record_failure (ctx, ESIM_NOTIFY_ITEM_REFUSED, error->message);
		} else {
			/* unreachable, or not answering as an SM-DP+: not asked again this round */
			g_hash_table_replace (ctx->down, g_ascii_strdown (item->address, -1),
			                      g_strdup (error->message));
			record_failure (ctx, ESIM_NOTIFY_ITEM_FAILING, error->message);
		}
		ctx->result->left++;
		notify_next (task);
		return;
	}
	/* recorded before the card forgets it: a crash in between must not send it twice */
	ctx->record.delivered = TRUE;
	ctx->record.attempts = 0;
	ctx->record.next_attempt = 0;
	journal_save (ctx);
	item->state = ESIM_NOTIFY_ITEM_DELIVERED;
	ctx->result->delivered++;
	g_debug ("notification %" G_GUINT64_FORMAT " accepted by %s", item->seq, item->address);
	notify_remove (task);
}

/* One HTTP session per address and round. */
static EsimEs9pClient *
notify_get_client (NotifyContext *ctx, const gchar *address, GError **error)
{
	g_autofree gchar *key = g_ascii_strdown (address, -1);
	EsimEs9pClient *client = g_hash_table_lookup (ctx->clients, key);

	if (client != NULL)
		return client;
	client = esim_es9p_client_new (address, ctx->database, error);
	if (client == NULL)
		return NULL;
	if (ctx->options.http_timeout_s != 0)
		esim_http_client_set_timeout (esim_es9p_client_get_http (client),
		                              ctx->options.http_timeout_s);
	g_hash_table_insert (ctx->clients, g_steal_pointer (&key), client);
	return client;
}

static void
notify_send (GTask *task)
{
	NotifyContext *ctx = g_task_get_task_data (task);
	EsimPendingNotification *n = g_ptr_array_index (ctx->list->notifications, ctx->index);
	g_autoptr(GError) error = NULL;
	EsimEs9pClient *client;

	client = notify_get_client (ctx, ctx->item->address, &error);
	if (client == NULL) {
		/* an address no server can have: retried slowly, in case the card is right */
		record_failure (ctx, ESIM_NOTIFY_ITEM_REFUSED, error->message);
		ctx->result->left++;
		notify_next (task);
		return;
	}
	esim_es9p_client_handle_notification_async (client, n->raw, g_task_get_cancellable (task),
	                                            notify_send_ready, task);
}

static void
notify_info1_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	NotifyContext *ctx = g_task_get_task_data (task);
	g_autoptr(EsimEuiccInfo1) info1 = NULL;
	GError *error = NULL;

	info1 = esim_es10_get_euicc_info1_finish (ESIM_ISDR (source), res, &error);
	if (info1 == NULL) {
		g_prefix_error (&error, "reading the CIs the eUICC trusts: ");
		notify_fail (task, error);
		return;
	}
	ctx->database = esim_tls_database_new (ctx->options.ci_store, info1->ci_pkids_verification,
	                                       ctx->options.system_database);
	notify_send (task);
}

/* ---- one notification ---- */

static gchar *
digest_of (GBytes *raw)
{
	return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, raw);
}

/* Loads ctx->record for @n: the journal's, unless it was about another notification. */
static void
notify_load_record (NotifyContext *ctx, EsimPendingNotification *n)
{
	g_autofree gchar *digest = digest_of (n->raw);
	EsimNotifyRecord *known = g_hash_table_lookup (ctx->records, &n->meta.seq_number);

	memset (&ctx->record, 0, sizeof (ctx->record));
	if (known != NULL && (known->digest[0] == '\0' ||
	                      g_ascii_strcasecmp (known->digest, digest) == 0)) {
		ctx->record = *known;
	} else if (known != NULL) {
		g_info ("notification %" G_GUINT64_FORMAT " is not the one recorded under that "
		        "sequence number (the card was reset?): a new one", n->meta.seq_number);
	}
	ctx->record.seq = n->meta.seq_number;
	g_strlcpy (ctx->record.digest, digest, sizeof (ctx->record.digest));
}

static NotifyAction
notify_decide (NotifyContext *ctx, EsimPendingNotification *n)
{
	EsimNotifyItem *item = ctx->item;
	g_autofree gchar *key = NULL;
	const gchar *down;
	gboolean due;

	notify_load_record (ctx, n);
	item->attempts = ctx->record.attempts;
	item->next_attempt = ctx->record.next_attempt;
	/* a retry due within the slack goes now rather than in a round of its own */
	due = ctx->options.force || ctx->record.next_attempt <= ctx->now + ESIM_NOTIFY_DUE_SLACK_S;
	/* removing is a card operation, no server is asked: whenever a round runs */
	if (ctx->record.delivered) {
		item->state = ESIM_NOTIFY_ITEM_ACCEPTED;
		return ACTION_REMOVE;
	}
	if (item->address == NULL) {
		item->state = ESIM_NOTIFY_ITEM_UNDELIVERABLE;
		return ACTION_SKIP;
	}
	item->state = ctx->record.attempts > 0 ? ESIM_NOTIFY_ITEM_FAILING : ESIM_NOTIFY_ITEM_PENDING;
	if (!due)
		return ACTION_SKIP;
	key = g_ascii_strdown (item->address, -1);
	down = g_hash_table_lookup (ctx->down, key);
	if (down != NULL) {
		record_failure (ctx, ESIM_NOTIFY_ITEM_FAILING, down);
		return ACTION_SKIP;
	}
	return ACTION_SEND;
}

static void
notify_each (GTask *task)
{
	NotifyContext *ctx = g_task_get_task_data (task);
	EsimPendingNotification *n = g_ptr_array_index (ctx->list->notifications, ctx->index);
	EsimNotifyItem *item = g_new0 (EsimNotifyItem, 1);

	item->seq = n->meta.seq_number;
	item->events = n->meta.events;
	item->address = n->meta.address != NULL && n->meta.address[0] != '\0' ?
	                g_strdup (n->meta.address) : NULL;
	item->iccid = g_strdup (n->meta.iccid);
	g_ptr_array_add (ctx->result->items, item);
	ctx->item = item;

	switch (notify_decide (ctx, n)) {
	case ACTION_REMOVE:
		notify_remove (task);
		return;
	case ACTION_SEND:
		if (ctx->database == NULL) {
			esim_es10_get_euicc_info1 (ctx->isdr, g_task_get_cancellable (task),
			                           notify_info1_ready, task);
			return;
		}
		notify_send (task);
		return;
	case ACTION_SKIP:
	default:
		if (!item->tried && item->state != ESIM_NOTIFY_ITEM_UNDELIVERABLE)
			ctx->result->deferred++;
		ctx->result->left++;
		notify_next (task);
		return;
	}
}

/* ---- the round ---- */

static gint
compare_pending_seq (gconstpointer a, gconstpointer b)
{
	const EsimPendingNotification *first = *(EsimPendingNotification *const *) a;
	const EsimPendingNotification *second = *(EsimPendingNotification *const *) b;

	return first->meta.seq_number < second->meta.seq_number ? -1 :
	       first->meta.seq_number > second->meta.seq_number;
}

static void
notify_list_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	NotifyContext *ctx = g_task_get_task_data (task);
	g_autoptr(GArray) records = NULL;
	GError *error = NULL;

	ctx->list = esim_es10_retrieve_notifications_list_finish (ESIM_ISDR (source), res, &error);
	if (ctx->list == NULL) {
		notify_fail (task, error);
		return;
	}
	g_ptr_array_sort (ctx->list->notifications, compare_pending_seq);
	records = ctx->options.journal->list (ctx->options.journal_data);
	for (guint i = 0; i < records->len; i++) {
		EsimNotifyRecord *record = g_memdup2 (&g_array_index (records, EsimNotifyRecord, i),
		                                      sizeof (EsimNotifyRecord));

		g_hash_table_replace (ctx->records, &record->seq, record);
	}
	ctx->step++;
	notify_step (task);
}

static gboolean
list_has_seq (EsimNotificationList *list, guint64 seq)
{
	for (guint i = 0; i < list->notifications->len; i++) {
		EsimPendingNotification *n = g_ptr_array_index (list->notifications, i);

		if (n->meta.seq_number == seq)
			return TRUE;
	}
	return FALSE;
}

/* Records of notifications the card no longer has (a user removed them, a reset). */
static void
notify_forget_stale (NotifyContext *ctx)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init (&iter, ctx->records);
	while (g_hash_table_iter_next (&iter, NULL, &value)) {
		EsimNotifyRecord *record = value;

		if (list_has_seq (ctx->list, record->seq))
			continue;
		g_debug ("notification %" G_GUINT64_FORMAT " is no longer on the card: record forgotten",
		         record->seq);
		journal_forget (ctx, record->seq);
		g_hash_table_iter_remove (&iter);
	}
}

static void
notify_finish (GTask *task)
{
	NotifyContext *ctx = g_task_get_task_data (task);
	EsimNotifyResult *result = g_steal_pointer (&ctx->result);
	GHashTableIter iter;
	gpointer value;

	for (guint i = 0; i < result->items->len; i++) {
		EsimNotifyItem *item = g_ptr_array_index (result->items, i);

		if (item->next_attempt > 0 && (result->next_attempt == 0 ||
		                               item->next_attempt < result->next_attempt))
			result->next_attempt = item->next_attempt;
	}
	/* the end of the procedure: no connection kept open until the next round */
	g_hash_table_iter_init (&iter, ctx->clients);
	while (g_hash_table_iter_next (&iter, NULL, &value))
		esim_http_client_close (esim_es9p_client_get_http (value));
	g_task_return_pointer (task, result, (GDestroyNotify) esim_notify_result_free);
	g_object_unref (task);
}

static void
notify_step (GTask *task)
{
	NotifyContext *ctx = g_task_get_task_data (task);

	if (g_task_return_error_if_cancelled (task)) {
		g_object_unref (task);
		return;
	}

	switch (ctx->step) {
	case NOTIFY_STEP_FIRST:
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case NOTIFY_STEP_LIST:
		esim_es10_retrieve_notifications_list (ctx->isdr, ESIM_NOTIFICATION_SEARCH_ALL, 0,
		                                       g_task_get_cancellable (task),
		                                       notify_list_ready, task);
		return;
	case NOTIFY_STEP_FORGET_STALE:
		notify_forget_stale (ctx);
		ctx->index = 0;
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case NOTIFY_STEP_EACH:
		if (ctx->index < ctx->list->notifications->len) {
			notify_each (task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case NOTIFY_STEP_LAST:
		notify_finish (task);
		return;
	default:
		notify_fail (task, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "bad step %d",
		                                (gint) ctx->step));
		return;
	}
}

void
esim_notify_round_async (EsimIsdr *isdr, const EsimNotifyOptions *options,
                         GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
	GTask *task;
	NotifyContext *ctx;

	g_return_if_fail (ESIM_IS_ISDR (isdr));
	g_return_if_fail (options != NULL && options->journal != NULL);
	g_return_if_fail (ESIM_IS_CI_STORE (options->ci_store));

	task = g_task_new (isdr, cancellable, callback, user_data);
	g_task_set_source_tag (task, esim_notify_round_async);
	ctx = g_new0 (NotifyContext, 1);
	ctx->isdr = g_object_ref (isdr);
	ctx->options = *options;
	g_object_ref (ctx->options.ci_store);
	if (ctx->options.system_database != NULL)
		g_object_ref (ctx->options.system_database);
	ctx->step = NOTIFY_STEP_FIRST;
	ctx->now = g_get_real_time () / G_USEC_PER_SEC;
	ctx->jitter = g_random_double ();
	ctx->records = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_free);
	ctx->clients = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
	ctx->down = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	ctx->result = g_new0 (EsimNotifyResult, 1);
	ctx->result->items = g_ptr_array_new_with_free_func ((GDestroyNotify) notify_item_free);
	g_task_set_task_data (task, ctx, (GDestroyNotify) notify_context_free);
	notify_step (task);
}

EsimNotifyResult *
esim_notify_round_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, isdr), NULL);
	return g_task_propagate_pointer (G_TASK (res), error);
}
