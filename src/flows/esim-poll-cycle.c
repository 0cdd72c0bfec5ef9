/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A poll cycle (esim-poll-cycle.h): one step machine for the three entries
 * (a cycle, a pushed package, a rollback), one context.  The EID is logged
 * masked (esim_log_personal); nothing else personal is logged here.
 */

#define G_LOG_DOMAIN "esim"

#include <string.h>

#include "esim-der.h"
#include "esim-es10-iot.h"
#include "esim-poll-cycle.h"
#include "esim-util.h"

typedef enum {
	CYCLE_STEP_FIRST,
	CYCLE_STEP_EID,
	CYCLE_STEP_JOURNAL,            /* deliver what the journal holds */
	CYCLE_STEP_PENDING_RESULTS,    /* RetrieveNotificationsList (EPRs), if there may be some */
	CYCLE_STEP_PENDING_NOTIFICATIONS, /* RetrieveNotificationsList (notifications) */
	CYCLE_STEP_DELIVER_PENDING,    /* both, in the card's order */
	CYCLE_STEP_GET_PACKAGE,
	CYCLE_STEP_EXECUTE,
	CYCLE_STEP_DELIVER_RESULT,
	CYCLE_STEP_NEXT,
	CYCLE_STEP_LAST,
} CycleStep;

typedef enum {
	MODE_CYCLE,
	MODE_PUSHED,
} CycleMode;

typedef struct {
	EsimIsdr             *isdr;
	CycleMode             mode;
	EsimEsipaClient      *client;
	EsimEimPackageEnv     env;
	const EsimPollJournal *journal;
	gpointer              journal_data;
	guint                 max_packages;
	gint                  state_change_cause;
	gchar                *rplmn;
	EsimPollCache        *cache;
	EsimPollReport       *report;
	CycleStep             step;
	/* after a delivery and its acknowledgements, go on here */
	CycleStep             resume;

	/* the journal's entries (GBytes*) and the pending lists */
	GPtrArray            *entries;
	GPtrArray            *items;          /* PendingItem*: own EPRs and notifications, by seqNumber */
	guint                 index;
	/* the package's result goes out with the notifications it queued */
	gboolean              result_in_pending;
	/* sequence numbers delivered in this cycle: never twice in one */
	GHashTable           *delivered;

	/* the package and what it gave */
	EsimEimPackage       *package;
	const EsimEimPackage *pushed;
	EsimEimPackageOutcome *outcome;
	EsimPollPushAnswer   *answer;      /* MODE_PUSHED */

	/* the delivery running: its journal key, the acknowledgements to remove */
	gchar                *key;
	GArray               *acks;
	guint                 ack_index;
} CycleContext;

/* Something the card keeps for the eIM route until it is delivered. */
typedef struct {
	guint64  seq;
	gboolean is_result;   /* an EuiccPackageResult: removed on eimAcknowledgements */
	GBytes  *raw;
} PendingItem;

static void cycle_step (GTask *task);

static void
pending_item_free (PendingItem *item)
{
	g_bytes_unref (item->raw);
	g_free (item);
}

static gint
pending_item_compare (gconstpointer a, gconstpointer b)
{
	const PendingItem *x = *(const PendingItem **) a;
	const PendingItem *y = *(const PendingItem **) b;

	return x->seq < y->seq ? -1 : x->seq > y->seq ? 1 : 0;
}

void
esim_poll_cache_clear (EsimPollCache *cache)
{
	g_clear_pointer (&cache->eid, g_free);
	cache->pending_known = FALSE;
	cache->pending = 0;
}

void
esim_poll_report_free (EsimPollReport *report)
{
	g_free (report);
}

void
esim_poll_push_answer_free (EsimPollPushAnswer *answer)
{
	if (answer == NULL)
		return;
	esim_eim_package_outcome_free (answer->outcome);
	g_free (answer->eim_transaction_id);
	g_free (answer->eid);
	g_free (answer);
}

static void
cycle_context_free (CycleContext *ctx)
{
	g_clear_object (&ctx->isdr);
	g_clear_object (&ctx->client);
	g_free (ctx->rplmn);
	esim_poll_report_free (ctx->report);
	g_clear_pointer (&ctx->entries, g_ptr_array_unref);
	g_clear_pointer (&ctx->items, g_ptr_array_unref);
	g_hash_table_unref (ctx->delivered);
	esim_eim_package_free (ctx->package);
	esim_eim_package_outcome_free (ctx->outcome);
	esim_poll_push_answer_free (ctx->answer);
	g_free (ctx->key);
	g_clear_pointer (&ctx->acks, g_array_unref);
	g_free (ctx);
}

static const gchar *
eim_id (CycleContext *ctx)
{
	return esim_esipa_client_get_eim_id (ctx->client);
}

/* ---- the journal ---- */

gchar *
esim_poll_journal_key (GBytes *encoded)
{
	return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, encoded);
}

/* A0 { 80 eimTransactionId OPT, 02 code } */
static EsimEimPackageResult *
decode_error_result (const EsimTlv *tlv, GError **error)
{
	g_autoptr(EsimEimPackageResult) result = g_new0 (EsimEimPackageResult, 1);
	g_autoptr(GError) local = NULL;
	gboolean has_code = FALSE;
	EsimTlvIter iter;
	EsimTlv child;
	gint64 code;

	result->kind = ESIM_EIM_PACKAGE_RESULT_ERROR;
	esim_tlv_iter_init (&iter, tlv);
	while (esim_tlv_iter_next (&iter, &child, &local)) {
		if (child.tag == 0x80 && result->eim_transaction_id == NULL && !has_code) {
			result->eim_transaction_id = esim_hex_encode (child.value, child.len);
		} else if (child.tag == ESIM_TAG_INTEGER && !has_code) {
			if (!esim_tlv_get_int (&child, &code, error))
				return NULL;
			if (code < G_MININT || code > G_MAXINT) {
				g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
				             "eimPackageResultResponseError: code out of range");
				return NULL;
			}
			result->error_code = (gint) code;
			has_code = TRUE;
		} else {
			g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG,
			             "eimPackageResultResponseError: unexpected tag %X", child.tag);
			return NULL;
		}
	}
	if (local != NULL) {
		/* the rest cannot be framed */
		g_propagate_error (error, g_steal_pointer (&local));
		return NULL;
	}
	if (!has_code) {
		g_set_error_literal (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING,
		                     "eimPackageResultResponseError without a code");
		return NULL;
	}
	return g_steal_pointer (&result);
}

EsimEimPackageResult *
esim_poll_journal_decode (GBytes *encoded, GError **error)
{
	EsimEimPackageResult *result;
	gsize len = 0;
	const guint8 *data;
	EsimTlv tlv;

	g_return_val_if_fail (encoded != NULL, NULL);
	data = g_bytes_get_data (encoded, &len);
	if (!esim_tlv_parse_exact (data, len, &tlv, error))
		return NULL;
	switch (tlv.tag) {
	case ESIM_TAG_IPA_EUICC_DATA_REQUEST:
		result = g_new0 (EsimEimPackageResult, 1);
		result->kind = ESIM_EIM_PACKAGE_RESULT_IPA_EUICC_DATA;
		result->ipa_euicc_data_response = g_bytes_ref (encoded);
		return result;
	case ESIM_TAG_PROFILE_DOWNLOAD_TRIGGER:
		result = g_new0 (EsimEimPackageResult, 1);
		result->kind = ESIM_EIM_PACKAGE_RESULT_DOWNLOAD_TRIGGER;
		result->profile_download_trigger_result = g_bytes_ref (encoded);
		return result;
	case ESIM_TAG_LOAD_EUICC_PACKAGE:
		/* the unsigned error arm: no seqNumber, the card does not list it */
		result = g_new0 (EsimEimPackageResult, 1);
		result->kind = ESIM_EIM_PACKAGE_RESULT_EUICC_PACKAGE_RESULT;
		result->euicc_package_result = g_bytes_ref (encoded);
		return result;
	case 0xA0:
		return decode_error_result (&tlv, error);
	default:
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG,
		             "a journalled result with tag %X", tlv.tag);
		return NULL;
	}
}

/* ---- steps ---- */

static void
cycle_fail (GTask *task, GError *error)
{
	CycleContext *ctx = g_task_get_task_data (task);

	esim_esipa_client_end_procedure (ctx->client);
	g_task_return_error (task, error);
}

static void
next_step (GTask *task, CycleStep step)
{
	CycleContext *ctx = g_task_get_task_data (task);

	ctx->step = step;
	cycle_step (task);
}

static void
get_eid_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	CycleContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;
	gchar *eid;

	eid = esim_es10_get_eid_finish (ctx->isdr, res, &error);
	if (eid == NULL) {
		cycle_fail (task, error);
		return;
	}
	g_free (ctx->cache->eid);
	ctx->cache->eid = eid;
	next_step (task, CYCLE_STEP_EID);
}

/* The card lost @seq (acknowledged and removed): the cache follows. */
static void
pending_removed (CycleContext *ctx)
{
	if (ctx->cache->pending_known && ctx->cache->pending > 0)
		ctx->cache->pending--;
	ctx->report->acknowledged++;
}

static void acks_next (GTask *task);

static void
remove_ack_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	CycleContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;
	guint64 seq = g_array_index (ctx->acks, guint64, ctx->ack_index);

	if (!esim_es10_remove_notification_finish (ctx->isdr, res, &error)) {
		if (error->domain != ESIM_ES10_ERROR) {
			cycle_fail (task, error);
			return;
		}
		/* not on the card (removed before): nothing lost */
		g_info ("eIM %s: acknowledged seq %" G_GUINT64_FORMAT " was not on the card: %s", eim_id (ctx),
		        seq, error->message);
		g_error_free (error);
	} else {
		pending_removed (ctx);
	}
	ctx->ack_index++;
	acks_next (task);
}

static void
acks_next (GTask *task)
{
	CycleContext *ctx = g_task_get_task_data (task);

	if (ctx->acks == NULL || ctx->ack_index >= ctx->acks->len) {
		g_clear_pointer (&ctx->acks, g_array_unref);
		next_step (task, ctx->resume);
		return;
	}
	esim_es10_remove_notification (ctx->isdr, g_array_index (ctx->acks, guint64, ctx->ack_index),
	                               g_task_get_cancellable (task), remove_ack_ready, g_object_ref (task));
}

static void
provide_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	CycleContext *ctx = g_task_get_task_data (task);
	g_autoptr(EsimProvideResultResponse) response = NULL;
	g_autoptr(GError) forget_error = NULL;
	GError *error = NULL;

	response = esim_esipa_client_provide_eim_package_result_finish (ctx->client, res, NULL, &error);
	if (response == NULL && ctx->key != NULL && g_error_matches (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_REFUSED)) {
		/* provideEimPackageResultError: the eIM will not take it, now or
		 * later; kept, it would stop every cycle before GetEimPackage */
		g_message ("eIM %s: refused a journalled result, dropping it: %s", eim_id (ctx), error->message);
		g_error_free (error);
		if (!ctx->journal->forget (ctx->journal_data, eim_id (ctx), ctx->key, &forget_error))
			g_warning ("eIM %s: %s", eim_id (ctx), forget_error->message);
		g_clear_pointer (&ctx->key, g_free);
		next_step (task, ctx->resume);
		return;
	}
	if (response == NULL) {
		/* on the card or in the journal: the next cycle delivers it */
		g_prefix_error (&error, "eIM %s: ", eim_id (ctx));
		cycle_fail (task, error);
		return;
	}
	ctx->report->results_delivered++;
	if (ctx->key != NULL &&
	    !ctx->journal->forget (ctx->journal_data, eim_id (ctx), ctx->key, &forget_error))
		g_warning ("eIM %s: the delivered result stays in the journal: %s", eim_id (ctx),
		           forget_error->message);
	g_clear_pointer (&ctx->key, g_free);
	if (response->kind == ESIM_PROVIDE_RESULT_ACKNOWLEDGEMENTS)
		ctx->acks = g_array_ref (response->acknowledgements);
	ctx->ack_index = 0;
	acks_next (task);
}

/* Delivers @result (with ProvideEimPackageResult), journalled first when the
 * card does not keep it; then removes what the eIM acknowledged and goes on
 * at @resume. */
static void
deliver (GTask *task, const EsimEimPackageResult *result, gboolean journal_it, CycleStep resume)
{
	CycleContext *ctx = g_task_get_task_data (task);

	ctx->resume = resume;
	g_clear_pointer (&ctx->key, g_free);
	if (journal_it && ctx->journal != NULL) {
		g_autoptr(GBytes) encoded = NULL;
		g_autoptr(GError) error = NULL;
		g_autofree gchar *key = NULL;

		encoded = esim_esipa_encode_eim_package_result (result, &error);
		if (encoded != NULL) {
			key = esim_poll_journal_key (encoded);
			if (ctx->journal->save (ctx->journal_data, eim_id (ctx), key, encoded, &error))
				ctx->key = g_steal_pointer (&key);
		}
		/* a result the journal cannot keep is still better sent than dropped */
		if (ctx->key == NULL)
			g_warning ("eIM %s: the result could not be journalled, sending it anyway: %s",
			           eim_id (ctx), error->message);
	}
	esim_esipa_client_provide_eim_package_result_async (ctx->client, ctx->cache->eid, result,
	                                                    g_task_get_cancellable (task), provide_ready,
	                                                    g_object_ref (task));
}

static void
journal_step (GTask *task)
{
	CycleContext *ctx = g_task_get_task_data (task);

	if (ctx->entries == NULL) {
		ctx->entries = ctx->journal != NULL ? ctx->journal->list (ctx->journal_data, eim_id (ctx)) : NULL;
		if (ctx->entries == NULL)
			ctx->entries = g_ptr_array_new ();
		ctx->index = 0;
	}
	while (ctx->index < ctx->entries->len) {
		GBytes *encoded = g_ptr_array_index (ctx->entries, ctx->index++);
		g_autoptr(EsimEimPackageResult) result = NULL;
		g_autoptr(GError) error = NULL;

		result = esim_poll_journal_decode (encoded, &error);
		if (result == NULL) {
			g_autofree gchar *key = esim_poll_journal_key (encoded);

			/* nothing can deliver it: keep it from blocking every cycle */
			g_warning ("eIM %s: dropping a journalled result that does not parse: %s", eim_id (ctx),
			           error->message);
			ctx->journal->forget (ctx->journal_data, eim_id (ctx), key, NULL);
			continue;
		}
		g_info ("eIM %s: delivering a journalled result", eim_id (ctx));
		deliver (task, result, FALSE, CYCLE_STEP_JOURNAL);
		/* forgotten once the eIM took it */
		ctx->key = esim_poll_journal_key (encoded);
		return;
	}
	next_step (task, CYCLE_STEP_PENDING_RESULTS);
}

static gboolean
was_delivered (CycleContext *ctx, guint64 seq)
{
	return g_hash_table_contains (ctx->delivered, &seq);
}

static void
mark_delivered (CycleContext *ctx, guint64 seq)
{
	guint64 *key = g_new (guint64, 1);

	*key = seq;
	g_hash_table_add (ctx->delivered, key);
}

static void
add_item (CycleContext *ctx, guint64 seq, gboolean is_result, GBytes *raw)
{
	PendingItem *item = g_new0 (PendingItem, 1);

	item->seq = seq;
	item->is_result = is_result;
	item->raw = g_bytes_ref (raw);
	g_ptr_array_add (ctx->items, item);
}

static void
pending_list_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	CycleContext *ctx = g_task_get_task_data (task);
	g_autoptr(EsimNotificationList) list = NULL;
	GError *error = NULL;

	list = esim_es10_retrieve_notifications_list_finish (ctx->isdr, res, &error);
	if (list == NULL && error->domain == ESIM_APDU_ERROR && ctx->outcome != NULL &&
	    ctx->outcome->enabled_profile_changed) {
		/* the card REFRESHed after the enable (a modem resets it): the result it
		 * keeps and the notifications go on the next poll, on the new profile */
		g_info ("eIM %s: the card is unreachable after the profile switch (%s): what it "
		        "holds is delivered on the new profile", eim_id (ctx), error->message);
		g_error_free (error);
		/* the REFRESH took the channel with it: the next use opens a new one */
		esim_isdr_forget_channel (ctx->isdr);
		ctx->cache->pending_known = FALSE;
		ctx->report->more = TRUE;
		next_step (task, CYCLE_STEP_LAST);
		return;
	}
	if (list == NULL) {
		cycle_fail (task, error);
		return;
	}
	if (ctx->step == CYCLE_STEP_PENDING_RESULTS) {
		g_clear_pointer (&ctx->items, g_ptr_array_unref);
		ctx->items = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_item_free);
		for (guint i = 0; list->package_results != NULL && i < list->package_results->len; i++) {
			GBytes *raw = g_ptr_array_index (list->package_results, i);
			g_autoptr(EsimEuiccPackageResult) epr = esim_es10_parse_euicc_package_result (raw, &error);

			if (epr == NULL) {
				g_warning ("eIM %s: a result on the card does not parse: %s", eim_id (ctx),
				           error->message);
				g_clear_error (&error);
				continue;
			}
			/* another eIM's is its own poll's */
			if (g_strcmp0 (epr->eim_id, eim_id (ctx)) != 0 || epr->seq_number < 0 ||
			    was_delivered (ctx, epr->seq_number))
				continue;
			add_item (ctx, epr->seq_number, TRUE, raw);
		}
		next_step (task, CYCLE_STEP_PENDING_NOTIFICATIONS);
		return;
	}
	for (guint i = 0; list->notifications != NULL && i < list->notifications->len; i++) {
		EsimPendingNotification *n = g_ptr_array_index (list->notifications, i);

		if (!was_delivered (ctx, n->meta.seq_number))
			add_item (ctx, n->meta.seq_number, FALSE, n->raw);
	}
	/* in the order the card numbered them (one counter, digest §3.5): an eIM
	 * that follows the card's numbers sees none go backwards */
	g_ptr_array_sort (ctx->items, pending_item_compare);
	ctx->cache->pending = ctx->items->len;
	ctx->cache->pending_known = TRUE;
	ctx->index = 0;
	next_step (task, CYCLE_STEP_DELIVER_PENDING);
}

static void
notification_removed (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	CycleContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	if (!esim_es10_remove_notification_finish (ctx->isdr, res, &error)) {
		if (error->domain != ESIM_ES10_ERROR) {
			cycle_fail (task, error);
			return;
		}
		g_info ("eIM %s: a delivered notification was not on the card: %s", eim_id (ctx), error->message);
		g_error_free (error);
	} else if (ctx->cache->pending_known && ctx->cache->pending > 0) {
		ctx->cache->pending--;
	}
	cycle_step (task);
}

static void
notification_sent (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	CycleContext *ctx = g_task_get_task_data (task);
	PendingItem *item = g_ptr_array_index (ctx->items, ctx->index - 1);
	GError *error = NULL;

	if (!esim_esipa_client_handle_notification_finish (ctx->client, res, &error)) {
		if (error->domain != ESIM_ESIPA_ERROR) {
			g_prefix_error (&error, "eIM %s: ", eim_id (ctx));
			cycle_fail (task, error);
			return;
		}
		/* refused: it stays on the card, for a later cycle */
		g_warning ("eIM %s: notification seq %" G_GUINT64_FORMAT " refused: %s", eim_id (ctx), item->seq,
		           error->message);
		g_error_free (error);
		cycle_step (task);
		return;
	}
	ctx->report->notifications_delivered++;
	/* delivered: it leaves the card (digest §3.6 step 2, §6) */
	esim_es10_remove_notification (ctx->isdr, item->seq, g_task_get_cancellable (task), notification_removed,
	                               g_object_ref (task));
}

/* The EPRs (ProvideEimPackageResult, removed on eimAcknowledgements) and the
 * notifications (HandleNotification, removed once it went through) found on
 * the card, in its order. */
static void
deliver_pending_step (GTask *task)
{
	CycleContext *ctx = g_task_get_task_data (task);
	EsimEimPackageResult result = { .kind = ESIM_EIM_PACKAGE_RESULT_EUICC_PACKAGE_RESULT };
	PendingItem *item;

	if (ctx->index >= ctx->items->len) {
		if (ctx->result_in_pending) {
			/* the package's result went with its notifications */
			ctx->result_in_pending = FALSE;
			next_step (task, CYCLE_STEP_NEXT);
			return;
		}
		next_step (task, CYCLE_STEP_GET_PACKAGE);
		return;
	}
	item = g_ptr_array_index (ctx->items, ctx->index++);
	mark_delivered (ctx, item->seq);
	if (!item->is_result) {
		esim_esipa_client_handle_notification_async (ctx->client, item->raw, g_task_get_cancellable (task),
		                                             notification_sent, g_object_ref (task));
		return;
	}
	g_info ("eIM %s: delivering the result seq %" G_GUINT64_FORMAT " from the card", eim_id (ctx), item->seq);
	result.euicc_package_result = item->raw;
	deliver (task, &result, FALSE, CYCLE_STEP_DELIVER_PENDING);
}

static void
get_package_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	CycleContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;
	gint eim_error = -1;

	ctx->package = esim_esipa_client_get_eim_package_finish (ctx->client, res, &eim_error, &error);
	if (ctx->package == NULL) {
		if (eim_error >= 0)
			ctx->report->last_package_error = eim_error;
		g_prefix_error (&error, "eIM %s: ", eim_id (ctx));
		cycle_fail (task, error);
		return;
	}
	if (ctx->package->kind == ESIM_EIM_PACKAGE_ERROR) {
		/* noEimPackageAvailable: the usual end */
		g_debug ("eIM %s: no package", eim_id (ctx));
		next_step (task, CYCLE_STEP_LAST);
		return;
	}
	next_step (task, CYCLE_STEP_EXECUTE);
}

static void
get_package (GTask *task)
{
	CycleContext *ctx = g_task_get_task_data (task);
	EsimGetEimPackageRequest request = { .eid = ctx->cache->eid, .state_change_cause = -1 };

	if (ctx->state_change_cause >= 0) {
		/* once: the eIM heard of the change */
		request.notify_state_change = TRUE;
		request.state_change_cause = ctx->state_change_cause;
		ctx->state_change_cause = -1;
	}
	request.rplmn = ctx->rplmn;
	g_clear_pointer (&ctx->package, esim_eim_package_free);
	esim_esipa_client_get_eim_package_async (ctx->client, &request, g_task_get_cancellable (task),
	                                         get_package_ready, g_object_ref (task));
}

static void
execute_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	CycleContext *ctx = g_task_get_task_data (task);
	EsimPollReport *report = ctx->report;
	GError *error = NULL;
	gboolean nothing_else;

	g_clear_pointer (&ctx->outcome, esim_eim_package_outcome_free);
	ctx->outcome = esim_eim_package_execute_finish (res, &error);
	if (ctx->outcome == NULL) {
		cycle_fail (task, error);
		return;
	}
	report->packages++;
	report->changed |= ctx->outcome->changed;
	report->enabled_profile_changed |= ctx->outcome->enabled_profile_changed;
	report->rollback_allowed |= ctx->outcome->rollback_allowed;
	nothing_else = ctx->cache->pending_known && ctx->cache->pending == 0;
	/* what the card holds now: its new result is one more, other changes unknown */
	if (ctx->outcome->changed & (ESIM_EIM_PACKAGE_CHANGED_NOTIFICATIONS | ESIM_EIM_PACKAGE_CHANGED_PROFILES))
		ctx->cache->pending_known = FALSE;
	else if (ctx->outcome->kept_by_card && ctx->cache->pending_known)
		ctx->cache->pending++;
	if (ctx->mode == MODE_CYCLE && ctx->outcome->kept_by_card &&
	    (ctx->outcome->changed & ESIM_EIM_PACKAGE_CHANGED_NOTIFICATIONS)) {
		/* the PSMOs queued notifications numbered before the result: all of
		 * them go in the card's order */
		ctx->result_in_pending = TRUE;
		if (nothing_else) {
			/* the card held nothing else of ours: no need to list its results */
			g_clear_pointer (&ctx->items, g_ptr_array_unref);
			ctx->items = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_item_free);
			add_item (ctx, (guint64) ctx->outcome->seq_number, TRUE,
			          ctx->outcome->result->euicc_package_result);
			next_step (task, CYCLE_STEP_PENDING_NOTIFICATIONS);
			return;
		}
		next_step (task, CYCLE_STEP_PENDING_RESULTS);
		return;
	}
	if (ctx->outcome->kept_by_card)
		mark_delivered (ctx, (guint64) ctx->outcome->seq_number);
	next_step (task, CYCLE_STEP_DELIVER_RESULT);
}

/* What a pushed package is answered with (esim-poll-cycle.h). */
static void
pushed_answer (GTask *task)
{
	CycleContext *ctx = g_task_get_task_data (task);
	EsimPollPushAnswer *answer = g_new0 (EsimPollPushAnswer, 1);
	const EsimEimPackageResult *result;

	ctx->answer = answer;
	answer->outcome = g_steal_pointer (&ctx->outcome);
	answer->eid = g_strdup (ctx->cache->eid);
	result = answer->outcome->result;
	answer->response.kind = ESIM_TRANSFER_RESPONSE_RECEIVED;
	if (result == NULL) {
		next_step (task, CYCLE_STEP_LAST);   /* acknowledgements: received */
		return;
	}
	switch (result->kind) {
	case ESIM_EIM_PACKAGE_RESULT_EUICC_PACKAGE_RESULT:
	case ESIM_EIM_PACKAGE_RESULT_IPA_EUICC_DATA:
		answer->response.kind = ESIM_TRANSFER_RESPONSE_RESULT;
		answer->response.result = result;
		next_step (task, CYCLE_STEP_LAST);
		return;
	case ESIM_EIM_PACKAGE_RESULT_ERROR:
		answer->response.kind = ESIM_TRANSFER_RESPONSE_ERROR;
		answer->response.error_code = result->error_code;
		next_step (task, CYCLE_STEP_LAST);
		return;
	default:
		/* a download's result does not fit the answer: received now, the
		 * result through ProvideEimPackageResult (journalled first) */
		answer->eim_transaction_id = g_strdup (ctx->pushed->profile_download_trigger != NULL ?
		                                       ctx->pushed->profile_download_trigger->eim_transaction_id :
		                                       NULL);
		answer->response.with_cid = TRUE;
		answer->response.eim_transaction_id = answer->eim_transaction_id;
		answer->response.eid = answer->eid;
		deliver (task, result, TRUE, CYCLE_STEP_LAST);
		return;
	}
}

static void
cycle_done (GTask *task)
{
	CycleContext *ctx = g_task_get_task_data (task);

	esim_esipa_client_end_procedure (ctx->client);
	if (ctx->mode == MODE_PUSHED) {
		g_task_return_pointer (task, g_steal_pointer (&ctx->answer),
		                       (GDestroyNotify) esim_poll_push_answer_free);
		return;
	}
	g_task_return_pointer (task, g_memdup2 (ctx->report, sizeof (EsimPollReport)),
	                       (GDestroyNotify) esim_poll_report_free);
}

static void
cycle_step (GTask *task)
{
	CycleContext *ctx = g_task_get_task_data (task);
	GCancellable *cancellable = g_task_get_cancellable (task);

	if (g_cancellable_is_cancelled (cancellable)) {
		GError *error = NULL;

		g_cancellable_set_error_if_cancelled (cancellable, &error);
		cycle_fail (task, error);
		return;
	}
	switch (ctx->step) {
	case CYCLE_STEP_FIRST:
		ctx->step++;
		/* fall through */
	case CYCLE_STEP_EID:
		if (ctx->cache->eid == NULL) {
			esim_es10_get_eid (ctx->isdr, cancellable, get_eid_ready, g_object_ref (task));
			return;
		}
		if (ctx->mode == MODE_PUSHED) {
			next_step (task, CYCLE_STEP_EXECUTE);
			return;
		}
		ctx->step++;
		/* fall through */
	case CYCLE_STEP_JOURNAL:
		journal_step (task);
		return;
	case CYCLE_STEP_PENDING_RESULTS:
	case CYCLE_STEP_PENDING_NOTIFICATIONS:
		if (ctx->cache->pending_known && ctx->cache->pending == 0) {
			next_step (task, CYCLE_STEP_GET_PACKAGE);
			return;
		}
		esim_es10_retrieve_notifications_list (ctx->isdr, ctx->step == CYCLE_STEP_PENDING_RESULTS ?
		                                       ESIM_NOTIFICATION_SEARCH_EUICC_PACKAGE_RESULTS :
		                                       ESIM_NOTIFICATION_SEARCH_ALL, 0, cancellable,
		                                       pending_list_ready, g_object_ref (task));
		return;
	case CYCLE_STEP_DELIVER_PENDING:
		deliver_pending_step (task);
		return;
	case CYCLE_STEP_GET_PACKAGE:
		get_package (task);
		return;
	case CYCLE_STEP_EXECUTE:
		esim_eim_package_execute_async (ctx->isdr, ctx->pushed != NULL ? ctx->pushed : ctx->package,
		                                &ctx->env, cancellable, execute_ready, g_object_ref (task));
		return;
	case CYCLE_STEP_DELIVER_RESULT:
		if (ctx->mode == MODE_PUSHED) {
			pushed_answer (task);
			return;
		}
		if (ctx->outcome->result != NULL) {
			deliver (task, ctx->outcome->result, !ctx->outcome->kept_by_card, CYCLE_STEP_NEXT);
			return;
		}
		ctx->step++;
		/* fall through */
	case CYCLE_STEP_NEXT:
		if (ctx->mode == MODE_PUSHED || ctx->outcome->enabled_profile_changed ||
		    ctx->report->packages >= ctx->max_packages) {
			/* a switch: the daemon polls again on the new profile */
			ctx->report->more = TRUE;
			next_step (task, CYCLE_STEP_LAST);
			return;
		}
		next_step (task, CYCLE_STEP_PENDING_RESULTS);
		return;
	case CYCLE_STEP_LAST:
		cycle_done (task);
		return;
	default:
		g_assert_not_reached ();
	}
}

/* ---- entries ---- */

static GTask *
cycle_task_new (EsimIsdr *isdr, const EsimPollCycleOptions *options, EsimPollCache *cache, CycleMode mode,
                GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data, gpointer tag)
{
	GTask *task = g_task_new (NULL, cancellable, callback, user_data);
	CycleContext *ctx = g_new0 (CycleContext, 1);

	g_task_set_source_tag (task, tag);
	ctx->isdr = g_object_ref (isdr);
	ctx->mode = mode;
	ctx->client = g_object_ref (options->client);
	if (options->env != NULL)
		ctx->env = *options->env;
	ctx->env.client = ctx->client;
	ctx->journal = options->journal;
	ctx->journal_data = options->journal_data;
	ctx->max_packages = options->max_packages != 0 ? options->max_packages : ESIM_POLL_DEFAULT_MAX_PACKAGES;
	ctx->state_change_cause = options->state_change_cause;
	ctx->rplmn = g_strdup (options->rplmn);
	ctx->cache = cache;
	ctx->report = g_new0 (EsimPollReport, 1);
	ctx->report->last_package_error = -1;
	ctx->delivered = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
	g_task_set_task_data (task, ctx, (GDestroyNotify) cycle_context_free);
	return task;
}

void
esim_poll_cycle_async (EsimIsdr *isdr, const EsimPollCycleOptions *options, EsimPollCache *cache,
                       GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = NULL;
	g_autofree gchar *masked = NULL;

	g_return_if_fail (options != NULL && ESIM_IS_ESIPA_CLIENT (options->client) && cache != NULL);
	task = cycle_task_new (isdr, options, cache, MODE_CYCLE, cancellable, callback, user_data,
	                       esim_poll_cycle_async);
	masked = esim_log_personal (cache->eid != NULL ? cache->eid : "(unknown)");
	g_debug ("eIM %s: poll cycle for eUICC %s", esim_esipa_client_get_eim_id (options->client), masked);
	cycle_step (task);
}

void
esim_poll_cycle_notify_state_change_async (EsimIsdr *isdr, const EsimPollCycleOptions *options,
                                           EsimPollCache *cache, gint cause, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data)
{
	EsimPollCycleOptions with_cause;

	g_return_if_fail (options != NULL && cache != NULL && cause >= 0);
	with_cause = *options;
	with_cause.state_change_cause = cause;
	/* a local change leaves notifications behind */
	cache->pending_known = FALSE;
	esim_poll_cycle_async (isdr, &with_cause, cache, cancellable, callback, user_data);
}

static CycleContext *
finished_context (GAsyncResult *res, gpointer tag)
{
	g_return_val_if_fail (g_task_is_valid (res, NULL), NULL);
	g_return_val_if_fail (g_task_get_source_tag (G_TASK (res)) == tag, NULL);
	return g_task_get_task_data (G_TASK (res));
}

EsimPollReport *
esim_poll_cycle_finish (GAsyncResult *res, GError **error)
{
	if (finished_context (res, esim_poll_cycle_async) == NULL)
		return NULL;
	return g_task_propagate_pointer (G_TASK (res), error);
}

EsimPollReport *
esim_poll_cycle_dup_report (GAsyncResult *res)
{
	CycleContext *ctx;

	g_return_val_if_fail (g_task_is_valid (res, NULL), NULL);
	ctx = g_task_get_task_data (G_TASK (res));
	if (ctx == NULL || ctx->report == NULL)
		return NULL;
	return g_memdup2 (ctx->report, sizeof (EsimPollReport));
}

void
esim_poll_cycle_execute_pushed_async (EsimIsdr *isdr, const EsimPollCycleOptions *options, EsimPollCache *cache,
                                      const EsimEimPackage *package, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = NULL;
	CycleContext *ctx;

	g_return_if_fail (options != NULL && ESIM_IS_ESIPA_CLIENT (options->client) && cache != NULL);
	g_return_if_fail (package != NULL);
	task = cycle_task_new (isdr, options, cache, MODE_PUSHED, cancellable, callback, user_data,
	                       esim_poll_cycle_execute_pushed_async);
	ctx = g_task_get_task_data (task);
	ctx->pushed = package;
	if (package->kind == ESIM_EIM_PACKAGE_ERROR) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		                         "eIM %s: a pushed eimPackageError is no package",
		                         esim_esipa_client_get_eim_id (options->client));
		return;
	}
	g_info ("eIM %s: a pushed package", esim_esipa_client_get_eim_id (options->client));
	cycle_step (task);
}

EsimPollPushAnswer *
esim_poll_cycle_execute_pushed_finish (GAsyncResult *res, EsimPollReport **report, GError **error)
{
	CycleContext *ctx = finished_context (res, esim_poll_cycle_execute_pushed_async);

	if (ctx == NULL)
		return NULL;
	if (report != NULL)
		*report = g_memdup2 (ctx->report, sizeof (EsimPollReport));
	return g_task_propagate_pointer (G_TASK (res), error);
}

static void
rollback_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	CycleContext *ctx = g_task_get_task_data (task);
	g_autoptr(EsimProfileRollbackOk) ok = NULL;
	GError *error = NULL;

	ok = esim_es10_profile_rollback_finish (ctx->isdr, res, &error);
	if (ok == NULL) {
		g_prefix_error (&error, "ProfileRollback: ");
		g_task_return_error (task, error);
		return;
	}
	if (ok->package_result != NULL) {
		g_autofree gchar *description = esim_euicc_package_result_describe (ok->package_result);

		g_info ("rollback: %s", description);
	}
	/* its result replaced the enable's on the card: the next cycle reads it */
	ctx->cache->pending_known = FALSE;
	g_task_return_boolean (task, TRUE);
}

void
esim_poll_cycle_rollback_async (EsimIsdr *isdr, const EsimPollCycleOptions *options, EsimPollCache *cache,
                                GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = NULL;

	g_return_if_fail (options != NULL && ESIM_IS_ESIPA_CLIENT (options->client) && cache != NULL);
	task = cycle_task_new (isdr, options, cache, MODE_CYCLE, cancellable, callback, user_data,
	                       esim_poll_cycle_rollback_async);
	g_info ("eIM %s: no connectivity after the enable: ProfileRollback",
	        esim_esipa_client_get_eim_id (options->client));
	/* refresh: the modem takes the old profile as after the enable */
	esim_es10_profile_rollback (isdr, TRUE, cancellable, rollback_ready, g_steal_pointer (&task));
}

gboolean
esim_poll_cycle_rollback_finish (GAsyncResult *res, GError **error)
{
	if (finished_context (res, esim_poll_cycle_rollback_async) == NULL)
		return FALSE;
	return g_task_propagate_boolean (G_TASK (res), error);
}
