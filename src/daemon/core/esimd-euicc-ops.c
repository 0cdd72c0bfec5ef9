/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The operations behind the Euicc and Profile methods: argument validation
 * (no card needed) and one step machine that runs a validated request on the
 * card: (probe again if the eUICC is in error) -> open ISD-R -> ES10 call ->
 * refresh what the call changed.  Profile switches go through the switch
 * lifecycle of esimd-euicc-switch.c instead.
 */

#include <string.h>

#include "esim-util.h"
#include "esimd-error.h"
#include "esimd-euicc-private.h"
#include "esimd-log.h"

#define ESIMD_NICKNAME_MAX_BYTES   64
#define ESIMD_EIM_CONFIG_MAX_BYTES 16384

static const EsimdOpInfo op_infos[] = {
	[ESIMD_OP_ENABLE_PROFILE] = { "enable-profile",
	                              ESIMD_REFRESH_PROFILES | ESIMD_REFRESH_NOTIFICATIONS },
	[ESIMD_OP_DISABLE_PROFILE] = { "disable-profile",
	                               ESIMD_REFRESH_PROFILES | ESIMD_REFRESH_NOTIFICATIONS },
	/* deleting frees memory: EUICCInfo2 carries the free space */
	[ESIMD_OP_DELETE_PROFILE] = { "delete-profile",
	                              ESIMD_REFRESH_PROFILES | ESIMD_REFRESH_NOTIFICATIONS |
	                              ESIMD_REFRESH_INFO },
	[ESIMD_OP_SET_NICKNAME] = { "set-nickname", ESIMD_REFRESH_PROFILES },
	[ESIMD_OP_ADD_INITIAL_EIM] = { "add-initial-eim", ESIMD_REFRESH_EIMS },
	/* the count is taken from the list itself */
	[ESIMD_OP_LIST_NOTIFICATIONS] = { "list-notifications", 0 },
	[ESIMD_OP_REMOVE_NOTIFICATION] = { "remove-notification", ESIMD_REFRESH_NOTIFICATIONS },
	[ESIMD_OP_MEMORY_RESET] = { "memory-reset", ESIMD_REFRESH_ALL },
	/* esimd-euicc-download.c reads what the download changed itself */
	[ESIMD_OP_DOWNLOAD_PROFILE] = { "download-profile", 0 },
	/* the round sets the count from the list it read */
	[ESIMD_OP_PROCESS_NOTIFICATIONS] = { "process-notifications", 0 },
	/* the poll reads what its packages changed itself (esimd-poller.c) */
	[ESIMD_OP_POLL] = { "poll", 0 },
	[ESIMD_OP_RUN_PUSHED] = { "run-pushed-package", 0 },
};

const EsimdOpInfo *
esimd_op_get_info (EsimdOpKind kind)
{
	g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (op_infos), &op_infos[0]);
	return &op_infos[kind];
}

const gchar *
esimd_op_get_name (EsimdOpKind kind)
{
	return esimd_op_get_info (kind)->name;
}

/* ---- validation ---- */

static const struct {
	const gchar *key;
	guint        bit;
} reset_options[] = {
	{ "delete-operational-profiles", ESIM_RESET_DELETE_OPERATIONAL_PROFILES },
	{ "delete-test-profiles", ESIM_RESET_DELETE_FIELD_LOADED_TEST_PROFILES },
	{ "reset-default-smdp-address", ESIM_RESET_DEFAULT_SMDP_ADDRESS },
	{ "delete-preloaded-test-profiles", ESIM_RESET_DELETE_PRELOADED_TEST_PROFILES },
	{ "delete-provisioning-profiles", ESIM_RESET_DELETE_PROVISIONING_PROFILES },
	{ "reset-eim-configuration", ESIM_RESET_EIM_CONFIG_DATA },
	{ "reset-immediate-enable-configuration", ESIM_RESET_IMMEDIATE_ENABLE_CONFIG },
};

/* the options SGP.22's eUICCMemoryReset knows */
#define ESIMD_RESET_SGP22_OPTIONS (ESIM_RESET_DELETE_OPERATIONAL_PROFILES | \
                                   ESIM_RESET_DELETE_FIELD_LOADED_TEST_PROFILES | \
                                   ESIM_RESET_DEFAULT_SMDP_ADDRESS)

static gboolean
invalid_args (GError **error, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid_args (GError **error, const gchar *format, ...)
{
	va_list args;

	va_start (args, format);
	g_propagate_error (error, g_error_new_valist (ESIMD_ERROR, ESIMD_ERROR_INVALID_ARGS,
	                                              format, args));
	va_end (args);
	return FALSE;
}

/* Reads an a{sv} whose known keys are all booleans; calls @apply for each.  @apply with
 * a NULL request only says whether it knows the key. */
static gboolean
parse_boolean_options (GVariant *options,
                       gboolean (*apply) (EsimdRequest *request, const gchar *key, gboolean value),
                       EsimdRequest *request,
                       GError **error)
{
	GVariantIter iter;
	const gchar *key;
	GVariant *raw;

	if (options == NULL)
		return TRUE;
	g_variant_iter_init (&iter, options);
	while (g_variant_iter_next (&iter, "{&sv}", &key, &raw)) {
		g_autoptr(GVariant) value = raw;

		if (!apply (NULL, key, FALSE))
			return invalid_args (error, "unknown option \"%s\"", key);
		if (!g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
			return invalid_args (error, "option \"%s\" must be a boolean (b), not %s", key,
			                     g_variant_get_type_string (value));
		apply (request, key, g_variant_get_boolean (value));
	}
	return TRUE;
}

static gboolean
apply_switch_option (EsimdRequest *request, const gchar *key, gboolean value)
{
	if (g_strcmp0 (key, "refresh") != 0)
		return FALSE;
	if (request != NULL)
		request->refresh = value;
	return TRUE;
}

/* DeleteProfile has no option yet: refusing every key lets clients rely on the ones to come */
static gboolean
apply_delete_option (EsimdRequest *request, const gchar *key, gboolean value)
{
	return FALSE;
}

static gboolean
apply_reset_option (EsimdRequest *request, const gchar *key, gboolean value)
{
	for (guint i = 0; i < G_N_ELEMENTS (reset_options); i++) {
		if (g_strcmp0 (key, reset_options[i].key) != 0)
			continue;
		if (request == NULL)
			return TRUE;
		if (value)
			request->reset_options |= reset_options[i].bit;
		else
			request->reset_options &= ~reset_options[i].bit;
		return TRUE;
	}
	return FALSE;
}

static gboolean
validate_profile (EsimdRequest *request, GError **error)
{
	if (request->iccid == NULL || !esim_iccid_is_valid (request->iccid))
		return invalid_args (error, "invalid ICCID: expected 18 to 20 digits");
	/* an unknown ICCID is refused before anything is sent to the card */
	if (!esimd_euicc_has_profile (request->euicc, request->iccid)) {
		g_set_error_literal (error, ESIMD_ERROR, ESIMD_ERROR_NOT_FOUND,
		                     "no profile with this ICCID on the eUICC");
		return FALSE;
	}
	return TRUE;
}

static gboolean
validate_nickname (EsimdRequest *request, GError **error)
{
	const gchar *nickname;

	if (request->arg == NULL || !g_variant_is_of_type (request->arg, G_VARIANT_TYPE_STRING))
		return invalid_args (error, "a nickname is required");
	nickname = g_variant_get_string (request->arg, NULL);
	if (strlen (nickname) > ESIMD_NICKNAME_MAX_BYTES)
		return invalid_args (error, "the nickname is longer than %u bytes",
		                     (guint) ESIMD_NICKNAME_MAX_BYTES);
	if (!g_utf8_validate (nickname, -1, NULL))
		return invalid_args (error, "the nickname is not valid UTF-8");
	request->nickname = g_strdup (nickname);
	return TRUE;
}

static gboolean
validate_eim_config (EsimdRequest *request, GError **error)
{
	g_autoptr(GBytes) encoded = NULL;
	g_autoptr(GError) local_error = NULL;
	gconstpointer data;
	gsize len = 0;

	if (request->euicc->variant != ESIM_ES10_VARIANT_SGP32) {
		g_set_error_literal (error, ESIMD_ERROR, ESIMD_ERROR_NOT_SUPPORTED,
		                     "this eUICC (SGP.22) has no eIM configuration");
		return FALSE;
	}
	if (request->arg == NULL || !g_variant_is_of_type (request->arg, G_VARIANT_TYPE_BYTESTRING))
		return invalid_args (error, "the eIM configuration must be a byte array");
	data = g_variant_get_fixed_array (request->arg, &len, 1);
	if (len == 0)
		return invalid_args (error, "the eIM configuration is empty");
	if (len > ESIMD_EIM_CONFIG_MAX_BYTES)
		return invalid_args (error, "the eIM configuration is larger than %u bytes",
		                     (guint) ESIMD_EIM_CONFIG_MAX_BYTES);
	request->config_der = g_bytes_new (data, len);
	/* the caller's DER is checked here, so that a bad file is InvalidArgs, not a card error */
	encoded = esim_es10_encode_add_initial_eim (request->config_der, &local_error);
	if (encoded == NULL)
		return invalid_args (error, "invalid eIM configuration: %s", local_error->message);
	return TRUE;
}

static gboolean
validate_reset (EsimdRequest *request, GError **error)
{
	if (request->arg == NULL || g_variant_n_children (request->arg) == 0) {
		request->reset_options = ESIM_RESET_DELETE_OPERATIONAL_PROFILES |
		                         ESIM_RESET_DELETE_FIELD_LOADED_TEST_PROFILES |
		                         ESIM_RESET_DEFAULT_SMDP_ADDRESS;
		return TRUE;
	}
	if (!parse_boolean_options (request->arg, apply_reset_option, request, error))
		return FALSE;
	if (request->reset_options == 0)
		return invalid_args (error, "no reset option is set to true");
	if (request->euicc->variant == ESIM_ES10_VARIANT_SGP22 &&
	    (request->reset_options & ~ESIMD_RESET_SGP22_OPTIONS) != 0) {
		g_set_error_literal (error, ESIMD_ERROR, ESIMD_ERROR_NOT_SUPPORTED,
		                     "this eUICC (SGP.22) can only delete operational and test "
		                     "profiles and reset the default SM-DP+ address");
		return FALSE;
	}
	return TRUE;
}

/* Poll (s eimId, "" for every eIM): the eIM must be on the card. */
static gboolean
validate_poll (EsimdRequest *request, GError **error)
{
	const gchar *eim_id;

	if (request->arg == NULL || !g_variant_is_of_type (request->arg, G_VARIANT_TYPE_STRING))
		return invalid_args (error, "poll takes an eIM id");
	if (request->euicc->poller == NULL) {
		g_set_error_literal (error, ESIMD_ERROR, ESIMD_ERROR_NOT_SUPPORTED,
		                     "eIMs are not polled without a state directory");
		return FALSE;
	}
	eim_id = g_variant_get_string (request->arg, NULL);
	if (!esimd_poller_has_eim (request->euicc->poller, eim_id)) {
		if (eim_id[0] == '\0')
			g_set_error_literal (error, ESIMD_ERROR, ESIMD_ERROR_NOT_FOUND,
			                     "this eUICC has no eIM");
		else
			g_set_error (error, ESIMD_ERROR, ESIMD_ERROR_NOT_FOUND,
			             "this eUICC has no eIM \"%s\"", eim_id);
		return FALSE;
	}
	return TRUE;
}

gboolean
esimd_request_validate (EsimdRequest *request, GError **error)
{
	switch (request->kind) {
	case ESIMD_OP_ENABLE_PROFILE:
	case ESIMD_OP_DISABLE_PROFILE:
		request->refresh = request->euicc->refresh_default;
		return validate_profile (request, error) &&
		       parse_boolean_options (request->arg, apply_switch_option, request, error);
	case ESIMD_OP_DELETE_PROFILE:
		return validate_profile (request, error) &&
		       parse_boolean_options (request->arg, apply_delete_option, request, error);
	case ESIMD_OP_SET_NICKNAME:
		return validate_profile (request, error) && validate_nickname (request, error);
	case ESIMD_OP_ADD_INITIAL_EIM:
		return validate_eim_config (request, error);
	case ESIMD_OP_LIST_NOTIFICATIONS:
		return TRUE;
	case ESIMD_OP_REMOVE_NOTIFICATION:
		if (request->arg == NULL || !g_variant_is_of_type (request->arg, G_VARIANT_TYPE_UINT64))
			return invalid_args (error, "a sequence number is required");
		request->seq = g_variant_get_uint64 (request->arg);
		return TRUE;
	case ESIMD_OP_MEMORY_RESET:
		return validate_reset (request, error);
	case ESIMD_OP_DOWNLOAD_PROFILE:
		return esimd_request_validate_download (request, error);
	case ESIMD_OP_PROCESS_NOTIFICATIONS:
		if (request->arg != NULL && !g_variant_is_of_type (request->arg, G_VARIANT_TYPE_BOOLEAN))
			return invalid_args (error, "process-notifications takes a boolean");
		if (request->euicc->notify == NULL) {
			g_set_error_literal (error, ESIMD_ERROR, ESIMD_ERROR_NOT_SUPPORTED,
			                     "notifications are not delivered without a state directory");
			return FALSE;
		}
		return TRUE;
	case ESIMD_OP_POLL:
		return validate_poll (request, error);
	case ESIMD_OP_RUN_PUSHED:
		if (request->pushed_package == NULL)
			return invalid_args (error, "no pushed package");
		return validate_poll (request, error);
	default:
		g_set_error (error, ESIMD_ERROR, ESIMD_ERROR_NOT_SUPPORTED, "unknown operation %d",
		             (gint) request->kind);
		return FALSE;
	}
}

/* ---- the operation ---- */

typedef enum {
	OP_STEP_FIRST,
	OP_STEP_PROBE,
	OP_STEP_OPEN,
	OP_STEP_CALL,
	OP_STEP_REFRESH,
	OP_STEP_LAST,
} OpStep;

typedef struct {
	EsimdRequest *request;  /* owned by the eUICC while it runs */
	OpStep        step;
} OpContext;

static void op_step (GTask *task);

static GVariant *
notifications_to_variant (EsimdEuicc *self, GPtrArray *list)
{
	GVariantBuilder builder;

	g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
	for (guint i = 0; i < list->len; i++) {
		const EsimNotificationMetadata *meta = g_ptr_array_index (list, i);
		const gchar *operation = esim_notification_event_to_string (meta->events);

		g_variant_builder_open (&builder, G_VARIANT_TYPE ("a{sv}"));
		g_variant_builder_add (&builder, "{sv}", "seq", g_variant_new_uint64 (meta->seq_number));
		g_variant_builder_add (&builder, "{sv}", "operation",
		                       g_variant_new_string (operation != NULL ? operation : ""));
		g_variant_builder_add (&builder, "{sv}", "address",
		                       g_variant_new_string (meta->address != NULL ?
		                                             meta->address : ""));
		if (meta->iccid != NULL)
			g_variant_builder_add (&builder, "{sv}", "iccid",
			                       g_variant_new_string (meta->iccid));
		/* where it goes and how its delivery stands */
		if (self->notify != NULL)
			esimd_notify_queue_describe (self->notify, meta->seq_number, &builder);
		g_variant_builder_close (&builder);
	}
	return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static void
op_fail (GTask *task, GError *error)
{
	g_task_return_error (task, error);
	g_object_unref (task);
}

/* Collects the result of the ES10 call; FALSE with @error set when it failed. */
static gboolean
op_call_finish (EsimdEuicc *self, EsimdRequest *request, GAsyncResult *res, GError **error)
{
	switch (request->kind) {
	case ESIMD_OP_DELETE_PROFILE:
		return esim_es10_delete_profile_finish (self->isdr, res, error);
	case ESIMD_OP_SET_NICKNAME:
		return esim_es10_set_nickname_finish (self->isdr, res, error);
	case ESIMD_OP_MEMORY_RESET:
		return esim_es10_memory_reset_finish (self->isdr, res, error);
	case ESIMD_OP_ADD_INITIAL_EIM: {
		g_autoptr(GArray) results = esim_es10_add_initial_eim_finish (self->isdr, res, error);
		return results != NULL;
	}
	case ESIMD_OP_LIST_NOTIFICATIONS: {
		g_autoptr(GPtrArray) list = esim_es10_list_notification_finish (self->isdr, res, error);
		if (list == NULL)
			return FALSE;
		request->reply = notifications_to_variant (self, list);
		esimd_euicc_set_pending_notifications (self, list->len);
		return TRUE;
	}
	case ESIMD_OP_REMOVE_NOTIFICATION: {
		g_autoptr(GError) local_error = NULL;

		if (esim_es10_remove_notification_finish (self->isdr, res, &local_error))
			return TRUE;
		/* the card's nothingToDelete means the caller named an unknown notification */
		if (g_error_matches (local_error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_NOTHING_TO_DELETE)) {
			g_set_error (error, ESIMD_ERROR, ESIMD_ERROR_NOT_FOUND,
			             "no pending notification with sequence number %" G_GUINT64_FORMAT,
			             request->seq);
			return FALSE;
		}
		g_propagate_error (error, g_steal_pointer (&local_error));
		return FALSE;
	}
	case ESIMD_OP_PROCESS_NOTIFICATIONS:
		request->reply = esimd_notify_queue_round_finish (self->notify, res, error);
		return request->reply != NULL;
	case ESIMD_OP_POLL:
		request->reply = esimd_poller_run_finish (self->poller, res, error);
		return request->reply != NULL;
	case ESIMD_OP_RUN_PUSHED:
		request->push_answer = esimd_poller_execute_pushed_finish (self->poller, res, error);
		return request->push_answer != NULL;
	default:
		g_set_error (error, ESIMD_ERROR, ESIMD_ERROR_NOT_SUPPORTED, "unknown operation %d",
		             (gint) request->kind);
		return FALSE;
	}
}

static void
op_call_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = g_task_get_source_object (task);
	OpContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	if (!op_call_finish (self, ctx->request, res, &error)) {
		/* the card or its transport failed under us (reader gone, card reset):
		 * the next operation reopens the ISD-R and re-reads everything */
		if (error->domain == ESIM_APDU_ERROR)
			self->healthy = FALSE;
		op_fail (task, error);
		return;
	}
	ctx->step++;
	op_step (task);
}

static void
op_call (GTask *task)
{
	EsimdEuicc *self = g_task_get_source_object (task);
	OpContext *ctx = g_task_get_task_data (task);
	EsimdRequest *request = ctx->request;
	GCancellable *cancellable = g_task_get_cancellable (task);

	switch (request->kind) {
	case ESIMD_OP_DELETE_PROFILE:
		esim_es10_delete_profile (self->isdr, request->iccid, cancellable, op_call_ready, task);
		break;
	case ESIMD_OP_SET_NICKNAME:
		esim_es10_set_nickname (self->isdr, request->iccid, request->nickname, cancellable,
		                        op_call_ready, task);
		break;
	case ESIMD_OP_ADD_INITIAL_EIM:
		esim_es10_add_initial_eim (self->isdr, request->config_der, cancellable, op_call_ready,
		                           task);
		break;
	case ESIMD_OP_LIST_NOTIFICATIONS:
		esim_es10_list_notification (self->isdr, 0, cancellable, op_call_ready, task);
		break;
	case ESIMD_OP_REMOVE_NOTIFICATION:
		esim_es10_remove_notification (self->isdr, request->seq, cancellable, op_call_ready,
		                               task);
		break;
	case ESIMD_OP_MEMORY_RESET:
		esim_es10_memory_reset (self->isdr, self->variant, request->reset_options, cancellable,
		                        op_call_ready, task);
		break;
	case ESIMD_OP_PROCESS_NOTIFICATIONS:
		esimd_notify_queue_round_async (self->notify,
		                                request->arg == NULL ||
		                                g_variant_get_boolean (request->arg),
		                                cancellable, op_call_ready, task);
		break;
	case ESIMD_OP_POLL:
		esimd_poller_run_async (self->poller, g_variant_get_string (request->arg, NULL),
		                        cancellable, op_call_ready, task);
		break;
	case ESIMD_OP_RUN_PUSHED:
		esimd_poller_execute_pushed_async (self->poller, g_variant_get_string (request->arg, NULL),
		                                   request->pushed_package, cancellable, op_call_ready,
		                                   task);
		break;
	default:
		op_fail (task, g_error_new (ESIMD_ERROR, ESIMD_ERROR_NOT_SUPPORTED,
		                            "unknown operation %d", (gint) request->kind));
		break;
	}
}

static void
op_probe_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	OpContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	if (!esimd_euicc_refresh_finish (ESIMD_EUICC (source), res, &error)) {
		op_fail (task, error);
		return;
	}
	ctx->step++;
	op_step (task);
}

static void
op_open_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	OpContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	if (!esim_isdr_open_finish (ESIM_ISDR (source), res, &error)) {
		op_fail (task, error);
		return;
	}
	ctx->step++;
	op_step (task);
}

static void
op_refresh_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = ESIMD_EUICC (source);
	OpContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;

	/* the operation itself worked: report it, and let State show the stale view */
	if (!esimd_euicc_refresh_finish (self, res, &error))
		esimd_obj_warn (self->log_id, "reading the eUICC after %s failed: %s",
		                esimd_op_get_info (ctx->request->kind)->name, error->message);
	ctx->step++;
	op_step (task);
}

static void
op_step (GTask *task)
{
	EsimdEuicc *self = g_task_get_source_object (task);
	OpContext *ctx = g_task_get_task_data (task);
	GCancellable *cancellable = g_task_get_cancellable (task);
	guint refresh_flags;

	if (g_task_return_error_if_cancelled (task)) {
		g_object_unref (task);
		return;
	}

	switch (ctx->step) {
	case OP_STEP_FIRST:
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case OP_STEP_PROBE:
		/* an eUICC whose last probe failed may be back: read everything first */
		if (!self->healthy) {
			esimd_euicc_refresh_async (self, ESIMD_REFRESH_ALL, cancellable, op_probe_ready,
			                           task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case OP_STEP_OPEN:
		/* a poll may need no card at all: its first ES10 request opens the ISD-R */
		if (!esimd_euicc_isdr_is_open (self) && ctx->request->kind != ESIMD_OP_POLL) {
			esim_isdr_open_async (self->isdr, cancellable, op_open_ready, task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case OP_STEP_CALL:
		esimd_obj_debug (self->log_id, "running %s", esimd_op_get_info (ctx->request->kind)->name);
		op_call (task);
		return;
	case OP_STEP_REFRESH:
		refresh_flags = esimd_op_get_info (ctx->request->kind)->refresh_flags;
		if (refresh_flags != 0) {
			esimd_euicc_refresh_async (self, refresh_flags, cancellable, op_refresh_ready,
			                           task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case OP_STEP_LAST:
		esimd_obj_info (self->log_id, "%s done", esimd_op_get_info (ctx->request->kind)->name);
		g_task_return_boolean (task, TRUE);
		g_object_unref (task);
		return;
	default:
		op_fail (task, g_error_new (ESIMD_ERROR, ESIMD_ERROR_FAILED, "bad step %d",
		                            (gint) ctx->step));
		return;
	}
}

static void
op_switch_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	GError *error = NULL;

	if (!esimd_euicc_switch_finish (ESIMD_EUICC (source), res, &error))
		g_task_return_error (task, error);
	else
		g_task_return_boolean (task, TRUE);
	g_object_unref (task);
}

static void
op_download_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	GError *error = NULL;

	if (!esimd_euicc_download_finish (ESIMD_EUICC (source), res, &error))
		g_task_return_error (task, error);
	else
		g_task_return_boolean (task, TRUE);
	g_object_unref (task);
}

void
esimd_euicc_run_request_async (EsimdEuicc *self,
                               EsimdRequest *request,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
	GTask *task;
	OpContext *ctx;

	g_return_if_fail (ESIMD_IS_EUICC (self));
	g_return_if_fail (request != NULL);

	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esimd_euicc_run_request_async);
	ctx = g_new0 (OpContext, 1);
	ctx->request = request;
	ctx->step = OP_STEP_FIRST;
	g_task_set_task_data (task, ctx, g_free);
	/* the card may reset (or leave its reader) after a switch: a lifecycle of its own */
	if (request->kind == ESIMD_OP_ENABLE_PROFILE || request->kind == ESIMD_OP_DISABLE_PROFILE) {
		esimd_euicc_switch_async (self, request, cancellable, op_switch_ready, task);
		return;
	}
	/* card and SM-DP+ in one session: a step machine of its own */
	if (request->kind == ESIMD_OP_DOWNLOAD_PROFILE) {
		esimd_euicc_download_async (self, request, cancellable, op_download_ready, task);
		return;
	}
	op_step (task);
}

gboolean
esimd_euicc_run_request_finish (EsimdEuicc *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}
