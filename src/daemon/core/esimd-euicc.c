/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <string.h>

#include "esim-util.h"
#include "esimd-eim.h"
#include "esimd-error.h"
#include "esimd-euicc-dbus.h"
#include "esimd-euicc-private.h"
#include "esimd-log.h"
#include "esimd-profile.h"

G_DEFINE_TYPE (EsimdEuicc, esimd_euicc, G_TYPE_OBJECT)

/* more waiting operations than this on one eUICC is a runaway client */
#define ESIMD_EUICC_MAX_QUEUED 16

/* never reused while the daemon runs */
static guint next_euicc_id = 0;

static void euicc_run_next (EsimdEuicc *self);
static void euicc_close_channel (EsimdEuicc *self);

/* ---- state from the card ---- */

void
esimd_euicc_set_eid (EsimdEuicc *self, const gchar *eid)
{
	g_autofree gchar *eid_log = esim_log_personal (eid);

	g_free (self->eid);
	self->eid = g_strdup (eid);
	esimd_gdbus_euicc_set_eid (self->skeleton, eid != NULL ? eid : "");
	esimd_log_set_eid (self->log_id, eid);
	esimd_obj_info (self->log_id, "EID %s", eid_log);
}

void
esimd_euicc_apply_info2 (EsimdEuicc *self, const EsimEuiccInfo2 *info)
{
	/* SGP.32 adds ipaMode and iotSpecificInfo to EUICCInfo2; consumer cards have neither */
	self->variant = (info->ipa_mode >= 0 || info->has_iot_specific_info) ?
		ESIM_ES10_VARIANT_SGP32 : ESIM_ES10_VARIANT_SGP22;
	esimd_gdbus_euicc_set_svn_version (self->skeleton, info->svn != NULL ? info->svn : "");
	esimd_gdbus_euicc_set_profile_version (self->skeleton,
	                                       info->profile_version != NULL ?
	                                       info->profile_version : "");
	esimd_gdbus_euicc_set_firmware_version (self->skeleton,
	                                        info->firmware_version != NULL ?
	                                        info->firmware_version : "");
	esimd_gdbus_euicc_set_free_nv_memory (self->skeleton, info->free_nvm);
	g_clear_pointer (&self->ci_pkids, g_ptr_array_unref);
	if (info->ci_pkids_verification != NULL)
		self->ci_pkids = g_ptr_array_ref (info->ci_pkids_verification);
}

void
esimd_euicc_apply_addresses (EsimdEuicc *self, const EsimConfiguredAddresses *addresses)
{
	esimd_gdbus_euicc_set_default_dp_address (self->skeleton,
	                                          addresses->default_dp_address != NULL ?
	                                          addresses->default_dp_address : "");
}

void
esimd_euicc_set_pending_notifications (EsimdEuicc *self, guint count)
{
	guint old_count = esimd_gdbus_euicc_get_pending_notifications (self->skeleton);

	esimd_gdbus_euicc_set_pending_notifications (self->skeleton, count);
	if (self->notify != NULL)
		esimd_notify_queue_count_changed (self->notify, old_count, count);
}

gboolean
esimd_euicc_has_profile (EsimdEuicc *self, const gchar *iccid)
{
	return g_hash_table_contains (self->profiles, iccid);
}

/* Removes the objects of @table whose key is not in @seen. */
static void
euicc_drop_unseen (EsimdEuicc *self, GHashTable *table, GHashTable *seen,
                   const gchar *(*get_path) (gpointer object), const gchar *what)
{
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init (&iter, table);
	while (g_hash_table_iter_next (&iter, &key, &value)) {
		if (g_hash_table_contains (seen, key))
			continue;
		esimd_obj_debug (self->log_id, "%s %s is gone", what, get_path (value));
		g_dbus_object_manager_server_unexport (self->object_manager, get_path (value));
		g_hash_table_iter_remove (&iter);
	}
}

static const gchar *
profile_path_of (gpointer object)
{
	return esimd_profile_get_path (ESIMD_PROFILE (object));
}

static const gchar *
eim_path_of (gpointer object)
{
	return esimd_eim_get_path (ESIMD_EIM (object));
}

void
esimd_euicc_sync_profiles (EsimdEuicc *self, GPtrArray *infos)
{
	g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) paths = g_ptr_array_new ();

	for (guint i = 0; i < infos->len; i++) {
		const EsimProfileInfo *info = g_ptr_array_index (infos, i);
		EsimdProfile *profile;

		/* without an ICCID a profile cannot be matched across refreshes nor addressed */
		if (info->iccid == NULL || g_hash_table_contains (seen, info->iccid)) {
			esimd_obj_warn (self->log_id, "ignoring a profile without ICCID or listed twice");
			continue;
		}
		profile = g_hash_table_lookup (self->profiles, info->iccid);
		if (profile == NULL) {
			g_autofree gchar *iccid_log = esim_log_personal (info->iccid);

			profile = esimd_profile_new (self, info);
			g_hash_table_insert (self->profiles, g_strdup (info->iccid), profile);
			g_dbus_object_manager_server_export (self->object_manager,
			                                     esimd_profile_get_object (profile));
			esimd_obj_debug (self->log_id, "profile %s at %s", iccid_log,
			                 esimd_profile_get_path (profile));
		} else {
			esimd_profile_update (profile, info);
		}
		g_hash_table_add (seen, (gpointer) esimd_profile_get_iccid (profile));
		g_ptr_array_add (paths, (gpointer) esimd_profile_get_path (profile));
	}
	g_ptr_array_add (paths, NULL);
	esimd_gdbus_euicc_set_profiles (self->skeleton, (const gchar *const *) paths->pdata);
	euicc_drop_unseen (self, self->profiles, seen, profile_path_of, "profile");
}

void
esimd_euicc_sync_eims (EsimdEuicc *self, GPtrArray *configs)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GPtrArray) paths = g_ptr_array_new ();

	g_clear_pointer (&self->eim_configs, g_ptr_array_unref);
	self->eim_configs = g_ptr_array_ref (configs);
	for (guint i = 0; i < configs->len; i++) {
		const EsimEimConfig *config = g_ptr_array_index (configs, i);
		const gchar *eim_id = config->eim_id != NULL ? config->eim_id : "";
		EsimdEim *eim;

		if (g_hash_table_contains (seen, eim_id)) {
			esimd_obj_warn (self->log_id, "ignoring eIM \"%s\" listed twice", eim_id);
			continue;
		}
		eim = g_hash_table_lookup (self->eims, eim_id);
		if (eim == NULL) {
			eim = esimd_eim_new (self->path, config);
			/* before the export: the object appears with every property */
			esimd_eim_set_settings (eim, config,
			                        esimd_config_get_eim_settings (self->config, eim_id));
			g_hash_table_insert (self->eims, g_strdup (eim_id), eim);
			g_dbus_object_manager_server_export (self->object_manager,
			                                     esimd_eim_get_object (eim));
			esimd_obj_info (self->log_id, "eIM \"%s\" at %s", eim_id, esimd_eim_get_path (eim));
			esimd_euicc_dbus_connect_eim (self, eim);
		} else {
			esimd_eim_update (eim, config);
			esimd_eim_set_settings (eim, config,
			                        esimd_config_get_eim_settings (self->config, eim_id));
		}
		g_hash_table_add (seen, g_strdup (eim_id));
		g_ptr_array_add (paths, (gpointer) esimd_eim_get_path (eim));
	}
	g_ptr_array_add (paths, NULL);
	esimd_gdbus_euicc_set_eims (self->skeleton, (const gchar *const *) paths->pdata);
	euicc_drop_unseen (self, self->eims, seen, eim_path_of, "eIM");
	if (self->poller != NULL)
		esimd_poller_set_eims (self->poller, configs);
}

/* Sends every pending property change now, so a reply is never ahead of them. */
static void
euicc_flush_all (EsimdEuicc *self)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init (&iter, self->profiles);
	while (g_hash_table_iter_next (&iter, NULL, &value))
		esimd_profile_flush (ESIMD_PROFILE (value));
	g_hash_table_iter_init (&iter, self->eims);
	while (g_hash_table_iter_next (&iter, NULL, &value))
		esimd_eim_flush (ESIMD_EIM (value));
	g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->skeleton));
}

void
esimd_euicc_update_state (EsimdEuicc *self)
{
	const gchar *state = "ready";

	/* a reader that reports its card gone is believed at once, even while an
	 * operation winds down (it fails); a modem away during an operation is
	 * usually its switch or reset */
	if (self->card_absent)
		state = "absent";
	else if (self->current != NULL || self->probing)
		state = "busy";
	else if (self->modem != NULL && !self->modem_present)
		state = "absent";
	else if (!self->healthy)
		state = "error";
	esimd_gdbus_euicc_set_state (self->skeleton, state);
	/* absent or in error: no retry timer until the card is back */
	if (self->notify != NULL)
		esimd_notify_queue_update (self->notify);
	if (self->poller != NULL)
		esimd_poller_update (self->poller);
}

/* ---- probe: acquire -> read everything -> release ---- */

static void
euicc_probe_complete (EsimdEuicc *self, GTask *task, GError *error)
{
	self->probing = FALSE;
	/* read afresh: whatever the poll cached may be another card's or stale */
	if (self->poller != NULL)
		esimd_poller_invalidate (self->poller);
	if (error != NULL) {
		g_autoptr(GError) normalized = esimd_error_normalize (error);

		esimd_obj_warn (self->log_id, "probe failed: %s", normalized->message);
		esimd_gdbus_euicc_set_last_error (self->skeleton, normalized->message);
	} else {
		esimd_obj_info (self->log_id, "%s eUICC ready: %u profiles, %u notifications pending",
		                self->variant == ESIM_ES10_VARIANT_SGP32 ? "SGP.32" : "SGP.22",
		                g_hash_table_size (self->profiles),
		                esimd_gdbus_euicc_get_pending_notifications (self->skeleton));
	}
	esimd_euicc_update_state (self);
	if (self->close_task != NULL)
		euicc_close_channel (self);
	else {
		esimd_euicc_check_presence (self);
		euicc_run_next (self);
	}
	if (error != NULL)
		g_task_return_error (task, error);
	else
		g_task_return_boolean (task, TRUE);
	g_object_unref (task);
}

/* the probe's task data: its error, kept until the modem is released */
typedef struct {
	GError *error;
} ProbeContext;

static void
probe_context_free (ProbeContext *ctx)
{
	g_clear_error (&ctx->error);
	g_free (ctx);
}

static void
euicc_probe_released (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimdEuicc *self = ESIMD_EUICC (source);
	GTask *task = user_data;
	ProbeContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) release_error = NULL;

	if (!esimd_euicc_release_finish (self, res, &release_error))
		esimd_obj_debug (self->log_id, "releasing the modem: %s", release_error->message);
	euicc_probe_complete (self, task, g_steal_pointer (&ctx->error));
}

static void
euicc_probe_refreshed (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimdEuicc *self = ESIMD_EUICC (source);
	GTask *task = user_data;
	ProbeContext *ctx = g_task_get_task_data (task);

	esimd_euicc_refresh_finish (self, res, &ctx->error);
	esimd_euicc_release_async (self, euicc_probe_released, task);
}

static void
euicc_probe_acquired (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimdEuicc *self = ESIMD_EUICC (source);
	GTask *task = user_data;
	GError *error = NULL;

	if (!esimd_euicc_acquire_finish (self, res, &error)) {
		euicc_probe_complete (self, task, error);
		return;
	}
	esimd_euicc_refresh_async (self, ESIMD_REFRESH_ALL, g_task_get_cancellable (task),
	                           euicc_probe_refreshed, task);
}

void
esimd_euicc_probe_async (EsimdEuicc *self,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data)
{
	GTask *task;

	g_return_if_fail (ESIMD_IS_EUICC (self));

	/* shutdown cancels a probe too */
	task = g_task_new (self, cancellable != NULL ? cancellable : self->cancellable, callback,
	                   user_data);
	g_task_set_source_tag (task, esimd_euicc_probe_async);
	g_task_set_task_data (task, g_new0 (ProbeContext, 1), (GDestroyNotify) probe_context_free);
	self->probing = TRUE;
	esimd_euicc_apply_pending_channel (self);
	esimd_euicc_acquire_async (self, g_task_get_cancellable (task), euicc_probe_acquired, task);
}

gboolean
esimd_euicc_probe_finish (EsimdEuicc *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

void
esimd_euicc_export (EsimdEuicc *self)
{
	g_return_if_fail (ESIMD_IS_EUICC (self));

	if (self->exported || self->gone_error != NULL)
		return;
	g_dbus_object_manager_server_export (self->object_manager,
	                                     G_DBUS_OBJECT_SKELETON (self->object));
	self->exported = TRUE;
}

gboolean
esimd_euicc_is_exported (EsimdEuicc *self)
{
	g_return_val_if_fail (ESIMD_IS_EUICC (self), FALSE);
	return self->exported;
}

/* ---- the request chain: validation -> queue -> operation -> callback ---- */

EsimdRequest *
esimd_request_new (EsimdEuicc *euicc,
                   EsimdOpKind kind,
                   const gchar *iccid,
                   GVariant *arg,
                   EsimdRequestCallback callback,
                   gpointer user_data)
{
	EsimdRequest *request;

	g_return_val_if_fail (ESIMD_IS_EUICC (euicc), NULL);
	g_return_val_if_fail (callback != NULL, NULL);

	request = g_new0 (EsimdRequest, 1);
	request->euicc = g_object_ref (euicc);
	request->kind = kind;
	request->iccid = g_strdup (iccid);
	request->arg = arg != NULL ? g_variant_ref_sink (arg) : NULL;
	request->callback = callback;
	request->user_data = user_data;
	return request;
}

static void euicc_request_refuse (EsimdRequest *request, const GError *error);

void
esimd_request_free (EsimdRequest *request)
{
	if (request == NULL)
		return;
	/* every request is answered: one dropped unanswered would leave its caller waiting */
	if (!request->completed) {
		g_autoptr(GError) error = g_error_new_literal (ESIMD_ERROR, ESIMD_ERROR_FAILED,
		                                               "the operation was dropped");
		euicc_request_refuse (request, error);
	}
	g_clear_object (&request->euicc);
	g_free (request->iccid);
	g_clear_pointer (&request->arg, g_variant_unref);
	g_free (request->nickname);
	g_clear_pointer (&request->config_der, g_bytes_unref);
	g_clear_pointer (&request->activation_code, esim_activation_code_free);
	if (request->confirmation_code != NULL)
		memset (request->confirmation_code, 0, strlen (request->confirmation_code));
	g_free (request->confirmation_code);
	g_clear_pointer (&request->reply, g_variant_unref);
	g_clear_pointer (&request->push_answer, esim_poll_push_answer_free);
	g_free (request);
}

/* Refuses a request that never reached the card (bad arguments, queue full, eUICC gone):
 * the caller's own failure is theirs, and LastError, which every user reads, keeps what
 * the card last said. */
static void
euicc_request_refuse (EsimdRequest *request, const GError *error)
{
	g_autoptr(GError) normalized = esimd_error_normalize (error);

	if (request->completed)
		return;
	request->completed = TRUE;
	esimd_obj_debug (request->euicc->log_id, "%s refused: %s",
	                 esimd_op_get_info (request->kind)->name, normalized->message);
	request->callback (request, error, NULL, request->user_data);
}

/* Completes an operation that ran: every error is kept in LastError (normalised, as
 * clients read it), and the property changes go out before the caller learns. */
static void
euicc_request_complete (EsimdRequest *request, const GError *error)
{
	EsimdEuicc *self = request->euicc;

	if (request->completed)
		return;
	request->completed = TRUE;
	if (error != NULL) {
		g_autoptr(GError) normalized = esimd_error_normalize (error);

		esimd_obj_info (self->log_id, "%s failed: %s", esimd_op_get_info (request->kind)->name,
		                normalized->message);
		/* an eIM out of reach is the eIM's LastError, not the card's */
		if ((request->kind != ESIMD_OP_POLL && request->kind != ESIMD_OP_RUN_PUSHED) ||
		    normalized->code == ESIMD_ERROR_CARD_ERROR)
			esimd_gdbus_euicc_set_last_error (self->skeleton, normalized->message);
	} else {
		esimd_gdbus_euicc_set_last_error (self->skeleton, "");
	}
	euicc_flush_all (self);
	request->callback (request, error, error == NULL ? request->reply : NULL,
	                   request->user_data);
}

/* SGP.32 stateChangeCause of a local operation; -1: none the eIM needs to hear of */
static void
euicc_tell_eims (EsimdEuicc *self, EsimdOpKind kind)
{
	switch (kind) {
	case ESIMD_OP_ENABLE_PROFILE:
	case ESIMD_OP_DISABLE_PROFILE:
	case ESIMD_OP_DELETE_PROFILE:
	case ESIMD_OP_DOWNLOAD_PROFILE:
		esimd_poller_local_change (self->poller, ESIM_STATE_CHANGE_LOCAL);
		return;
	case ESIMD_OP_MEMORY_RESET:
		esimd_poller_local_change (self->poller, ESIM_STATE_CHANGE_RESET);
		return;
	default:
		return;
	}
}

static void
euicc_request_finished (EsimdEuicc *self)
{
	g_autoptr(EsimdRequest) request = g_steal_pointer (&self->current);
	g_autoptr(GError) error = g_steal_pointer (&self->current_error);
	const gchar *name = esimd_op_get_info (request->kind)->name;

	/* another operation may have changed what the poll cached (notifications, results) */
	if (self->poller != NULL && request->kind != ESIMD_OP_POLL &&
	    request->kind != ESIMD_OP_RUN_PUSHED && request->kind != ESIMD_OP_LIST_NOTIFICATIONS)
		esimd_poller_invalidate (self->poller);
	/* a change the eIMs did not order: they are told */
	if (self->poller != NULL && error == NULL)
		euicc_tell_eims (self, request->kind);
	esimd_euicc_update_state (self);
	esimd_gdbus_euicc_emit_progress (self->skeleton, name, 100);
	euicc_request_complete (request, error);

	if (self->close_task != NULL) {
		euicc_close_channel (self);
		return;
	}
	esimd_euicc_check_presence (self);
	euicc_run_next (self);
}

static void
euicc_request_modem_back (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimdEuicc *self = ESIMD_EUICC (source);
	g_autoptr(GError) error = NULL;

	/* the card is fine: ModemManager will show it when it is done probing */
	if (!esimd_euicc_wait_present_finish (self, res, &error))
		esimd_obj_warn (self->log_id, "%s", error->message);
	euicc_request_finished (self);
}

static void
euicc_request_released (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimdEuicc *self = ESIMD_EUICC (source);
	g_autoptr(GError) release_error = NULL;
	EsimdOpKind kind = self->current->kind;

	if (!esimd_euicc_release_finish (self, res, &release_error))
		esimd_obj_debug (self->log_id, "releasing the modem: %s", release_error->message);
	/* a switch on an AT eUICC ends, like the others, with the modem back in ModemManager */
	if (self->per_access_channel && self->current_error == NULL && !self->modem_present &&
	    self->gone_error == NULL &&
	    (kind == ESIMD_OP_ENABLE_PROFILE || kind == ESIMD_OP_DISABLE_PROFILE)) {
		esimd_euicc_wait_present_async (self, self->policy.switch_timeout_s * 1000,
		                                self->cancellable, euicc_request_modem_back, NULL);
		return;
	}
	euicc_request_finished (self);
}

static void
euicc_request_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimdEuicc *self = ESIMD_EUICC (source);

	esimd_euicc_run_request_finish (self, res, &self->current_error);
	esimd_euicc_release_async (self, euicc_request_released, NULL);
}

static void
euicc_request_acquired (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimdEuicc *self = ESIMD_EUICC (source);

	/* a failed acquire has undone itself: release has nothing left to do */
	if (!esimd_euicc_acquire_finish (self, res, &self->current_error)) {
		esimd_euicc_release_async (self, euicc_request_released, NULL);
		return;
	}
	esimd_euicc_run_request_async (self, self->current, self->cancellable, euicc_request_done,
	                               NULL);
}

static void
euicc_run_next (EsimdEuicc *self)
{
	EsimdRequest *request;

	if (self->current != NULL || self->probing || g_queue_is_empty (&self->requests))
		return;
	request = g_queue_pop_head (&self->requests);
	self->current = request;
	esimd_euicc_update_state (self);
	esimd_gdbus_euicc_emit_progress (self->skeleton, esimd_op_get_info (request->kind)->name, 0);
	g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->skeleton));
	esimd_euicc_apply_pending_channel (self);
	esimd_euicc_acquire_async (self, self->cancellable, euicc_request_acquired, NULL);
}

static void
euicc_enqueue (EsimdEuicc *self, EsimdRequest *request)
{
	g_autoptr(GError) error = NULL;

	if (self->gone_error != NULL) {
		error = g_error_copy (self->gone_error);
	} else if (self->close_task != NULL) {
		error = g_error_new_literal (ESIMD_ERROR, ESIMD_ERROR_FAILED, "esimd is shutting down");
	} else if (g_queue_get_length (&self->requests) >= ESIMD_EUICC_MAX_QUEUED) {
		error = g_error_new (ESIMD_ERROR, ESIMD_ERROR_BUSY,
		                     "too many operations are waiting for this eUICC (%u)",
		                     (guint) ESIMD_EUICC_MAX_QUEUED);
	}
	if (error != NULL) {
		euicc_request_refuse (request, error);
		esimd_request_free (request);
		return;
	}
	g_queue_push_tail (&self->requests, request);
	euicc_run_next (self);
}

void
esimd_euicc_submit_request (EsimdEuicc *self, EsimdRequest *request)
{
	g_autoptr(GError) error = NULL;

	g_return_if_fail (ESIMD_IS_EUICC (self));
	g_return_if_fail (request != NULL && request->euicc == self);

	if (!esimd_request_validate (request, &error)) {
		euicc_request_refuse (request, error);
		esimd_request_free (request);
		return;
	}
	euicc_enqueue (self, request);
}

/* the answer of one of esimd's own requests, handed to its GTask */
static void
euicc_own_request_done (EsimdRequest *request, const GError *error, GVariant *reply,
                        gpointer user_data)
{
	GTask *task = user_data;

	if (error != NULL) {
		g_task_return_error (task, g_error_copy (error));
	} else {
		if (reply != NULL)
			g_task_set_task_data (task, g_variant_ref (reply),
			                      (GDestroyNotify) g_variant_unref);
		g_task_return_boolean (task, TRUE);
	}
	g_object_unref (task);
}

void
esimd_euicc_request_async (EsimdEuicc *self,
                           EsimdOpKind kind,
                           const gchar *iccid,
                           GVariant *arg,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
	GTask *task;

	g_return_if_fail (ESIMD_IS_EUICC (self));

	task = g_task_new (self, NULL, callback, user_data);
	g_task_set_source_tag (task, esimd_euicc_request_async);
	esimd_obj_debug (self->log_id, "%s requested by esimd", esimd_op_get_info (kind)->name);
	/* a refusal answers at once; GTask still calls back from the main loop */
	esimd_euicc_submit_request (self, esimd_request_new (self, kind, iccid, arg,
	                                                     euicc_own_request_done, task));
}

gboolean
esimd_euicc_request_finish (EsimdEuicc *self, GAsyncResult *res, GVariant **reply,
                            GError **error)
{
	GVariant *answer;

	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);

	if (!g_task_propagate_boolean (G_TASK (res), error))
		return FALSE;
	answer = g_task_get_task_data (G_TASK (res));
	if (reply != NULL)
		*reply = answer != NULL ? g_variant_ref (answer) : NULL;
	return TRUE;
}

/* the answer of a pushed package, handed to its GTask */
static void
euicc_pushed_done (EsimdRequest *request, const GError *error, GVariant *reply,
                   gpointer user_data)
{
	GTask *task = user_data;

	if (error != NULL)
		g_task_return_error (task, g_error_copy (error));
	else if (request->push_answer == NULL)
		g_task_return_new_error (task, ESIMD_ERROR, ESIMD_ERROR_FAILED,
		                         "the pushed package gave no answer");
	else
		g_task_return_pointer (task, g_steal_pointer (&request->push_answer),
		                       (GDestroyNotify) esim_poll_push_answer_free);
	g_object_unref (task);
}

void
esimd_euicc_run_pushed_async (EsimdEuicc *self, const gchar *eim_id, const EsimEimPackage *package,
                              GAsyncReadyCallback callback, gpointer user_data)
{
	EsimdRequest *request;
	GTask *task;

	g_return_if_fail (ESIMD_IS_EUICC (self));
	g_return_if_fail (eim_id != NULL && package != NULL);

	task = g_task_new (self, NULL, callback, user_data);
	g_task_set_source_tag (task, esimd_euicc_run_pushed_async);
	esimd_obj_debug (self->log_id, "a package pushed by eIM \"%s\" queued", eim_id);
	request = esimd_request_new (self, ESIMD_OP_RUN_PUSHED, NULL, g_variant_new_string (eim_id),
	                             euicc_pushed_done, task);
	request->pushed_package = package;
	esimd_euicc_submit_request (self, request);
}

EsimPollPushAnswer *
esimd_euicc_run_pushed_finish (EsimdEuicc *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), NULL);
	return g_task_propagate_pointer (G_TASK (res), error);
}

guint
esimd_euicc_get_n_waiting (EsimdEuicc *self)
{
	g_return_val_if_fail (ESIMD_IS_EUICC (self), 0);
	return g_queue_get_length (&self->requests);
}

gboolean
esimd_euicc_has_eim (EsimdEuicc *self, const gchar *eim_id)
{
	g_return_val_if_fail (ESIMD_IS_EUICC (self), FALSE);
	return self->poller != NULL && esimd_poller_has_eim (self->poller, eim_id);
}

void
esimd_euicc_poll_soon (EsimdEuicc *self, const gchar *eim_id)
{
	g_return_if_fail (ESIMD_IS_EUICC (self));
	if (self->poller != NULL)
		esimd_poller_poll_soon (self->poller, eim_id);
}

void
esimd_euicc_data_connected (EsimdEuicc *self)
{
	g_return_if_fail (ESIMD_IS_EUICC (self));
	if (self->poller != NULL)
		esimd_poller_connected (self->poller);
}

EsimdAuth *
esimd_euicc_get_auth (EsimdEuicc *self)
{
	g_return_val_if_fail (ESIMD_IS_EUICC (self), NULL);
	return self->auth;
}

/* ---- shutdown and removal ---- */

static void
euicc_close_done (EsimdEuicc *self)
{
	g_autoptr(GTask) task = g_steal_pointer (&self->close_task);

	/* a removed eUICC gives its channel back at once: the port may be needed again */
	if (self->gone_error != NULL)
		esimd_euicc_set_channel (self, NULL);
	g_task_return_boolean (task, TRUE);
}

static void
euicc_close_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	EsimdEuicc *self = user_data;
	g_autoptr(GError) error = NULL;

	if (!esim_isdr_close_finish (ESIM_ISDR (source), res, &error))
		esimd_obj_debug (self->log_id, "closing the ISD-R: %s", error->message);
	euicc_close_done (self);
	g_object_unref (self);
}

static void
euicc_close_channel (EsimdEuicc *self)
{
	if (!esimd_euicc_isdr_is_open (self)) {
		euicc_close_done (self);
		return;
	}
	esim_isdr_close_async (self->isdr, NULL, euicc_close_ready, g_object_ref (self));
}

static void
euicc_unexport_all (EsimdEuicc *self);

/* Refuses every waiting operation with @reason and closes once idle. */
static void
euicc_shutdown (EsimdEuicc *self, GTask *task, const GError *reason)
{
	EsimdRequest *request;

	self->close_task = task;
	while ((request = g_queue_pop_head (&self->requests)) != NULL) {
		euicc_request_refuse (request, reason);
		esimd_request_free (request);
	}
	g_cancellable_cancel (self->cancellable);
	/* a running operation or probe finishes (cancelled) first, then closes the channel */
	if (self->current == NULL && !self->probing)
		euicc_close_channel (self);
}

void
esimd_euicc_close_async (EsimdEuicc *self, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = NULL;
	g_autoptr(GError) error = NULL;

	g_return_if_fail (ESIMD_IS_EUICC (self));

	task = g_task_new (self, NULL, callback, user_data);
	g_task_set_source_tag (task, esimd_euicc_close_async);
	if (self->close_task != NULL) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING, "already closing");
		return;
	}
	error = g_error_new_literal (ESIMD_ERROR, ESIMD_ERROR_FAILED, "esimd is shutting down");
	euicc_shutdown (self, g_steal_pointer (&task), error);
}

void
esimd_euicc_remove_async (EsimdEuicc *self, const GError *reason, GAsyncReadyCallback callback,
                          gpointer user_data)
{
	g_autoptr(GTask) task = NULL;

	g_return_if_fail (ESIMD_IS_EUICC (self));
	g_return_if_fail (reason != NULL);

	task = g_task_new (self, NULL, callback, user_data);
	g_task_set_source_tag (task, esimd_euicc_remove_async);
	if (self->close_task != NULL || self->gone_error != NULL) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING, "already closing");
		return;
	}
	self->gone_error = esimd_error_normalize (reason);
	esimd_obj_info (self->log_id, "removed: %s", self->gone_error->message);
	if (self->lost_timeout_id != 0)
		g_source_remove (self->lost_timeout_id);
	self->lost_timeout_id = 0;
	/* the caller of the running operation learns now, not when the card gives up */
	if (self->current != NULL) {
		esimd_gdbus_euicc_emit_progress (self->skeleton,
		                                 esimd_op_get_info (self->current->kind)->name, 100);
		euicc_request_complete (self->current, self->gone_error);
	}
	euicc_unexport_all (self);
	euicc_shutdown (self, g_steal_pointer (&task), self->gone_error);
}

gboolean
esimd_euicc_remove_finish (EsimdEuicc *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

gboolean
esimd_euicc_close_finish (EsimdEuicc *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* ---- object ---- */

const gchar *
esimd_euicc_get_path (EsimdEuicc *self)
{
	g_return_val_if_fail (ESIMD_IS_EUICC (self), NULL);
	return self->path;
}

const gchar *
esimd_euicc_get_log_id (EsimdEuicc *self)
{
	g_return_val_if_fail (ESIMD_IS_EUICC (self), NULL);
	return self->log_id;
}

const gchar *
esimd_euicc_get_eid (EsimdEuicc *self)
{
	g_return_val_if_fail (ESIMD_IS_EUICC (self), NULL);
	return self->eid;
}

GPtrArray *
esimd_euicc_get_eim_configs (EsimdEuicc *self)
{
	g_return_val_if_fail (ESIMD_IS_EUICC (self), NULL);
	return self->eim_configs;
}

EsimdEuicc *
esimd_euicc_new (GDBusObjectManagerServer *object_manager,
                 EsimdAuth *auth,
                 const EsimdConfig *config,
                 EsimChannel *channel)
{
	EsimdEuicc *self;

	g_return_val_if_fail (G_IS_DBUS_OBJECT_MANAGER_SERVER (object_manager), NULL);
	g_return_val_if_fail (ESIMD_IS_AUTH (auth), NULL);
	g_return_val_if_fail (config != NULL, NULL);
	g_return_val_if_fail (channel == NULL || ESIM_IS_CHANNEL (channel), NULL);

	self = g_object_new (ESIMD_TYPE_EUICC, NULL);
	self->id = next_euicc_id++;
	self->path = g_strdup_printf ("/org/freedesktop/Esimd1/Euicc/%u", self->id);
	self->log_id = g_strdup_printf ("euicc%u", self->id);
	self->object_manager = g_object_ref (object_manager);
	self->auth = g_object_ref (auth);
	self->refresh_default = config->refresh_on_switch;
	self->config = config;
	/* a profile switch without a modem: no inhibit, no reset, the card's own REFRESH */
	self->policy.refresh = TRUE;
	self->policy.switch_timeout_s = config->switch_timeout_s;

	self->object = esimd_gdbus_object_skeleton_new (self->path);
	self->skeleton = esimd_gdbus_euicc_skeleton_new ();
	esimd_gdbus_euicc_set_eid (self->skeleton, "");
	esimd_gdbus_euicc_set_transport (self->skeleton, channel != NULL ?
	                                 esim_channel_get_transport (channel) : "");
	esimd_gdbus_euicc_set_modem (self->skeleton, "/");
	esimd_gdbus_euicc_set_modem_model (self->skeleton, "");
	esimd_gdbus_euicc_set_slot (self->skeleton, 0);
	esimd_gdbus_euicc_set_state (self->skeleton, "busy");
	esimd_gdbus_euicc_set_profiles (self->skeleton, NULL);
	esimd_gdbus_euicc_set_eims (self->skeleton, NULL);
	esimd_gdbus_euicc_set_free_nv_memory (self->skeleton, -1);
	esimd_gdbus_euicc_set_last_error (self->skeleton, "");
	esimd_gdbus_euicc_set_last_poll (self->skeleton, 0);
	esimd_gdbus_euicc_set_next_poll (self->skeleton, 0);
	esimd_euicc_dbus_connect (self, self->skeleton);
	esimd_gdbus_object_skeleton_set_euicc (self->object, self->skeleton);
	esimd_euicc_set_channel (self, channel);
	return self;
}

void
esimd_euicc_set_store (EsimdEuicc *self, EsimdStore *store)
{
	g_return_if_fail (ESIMD_IS_EUICC (self));

	g_clear_pointer (&self->notify, esimd_notify_queue_free);
	g_clear_pointer (&self->poller, esimd_poller_free);
	if (store != NULL) {
		self->notify = esimd_notify_queue_new (self, store, self->config);
		self->poller = esimd_poller_new (self, store, self->config);
	}
}

void
esimd_euicc_set_channel (EsimdEuicc *self, EsimChannel *channel)
{
	g_clear_object (&self->isdr);
	if (channel == NULL)
		return;
	self->isdr = esim_isdr_new (channel);
	esim_isdr_set_segment_size (self->isdr, self->config->segment_size);
	/* an eIM poll opens the ISD-R only when it needs the card (a warm empty
	 * poll needs none): modems have few logical channels */
	esim_isdr_set_open_on_demand (self->isdr, TRUE);
}

static void
euicc_unexport_table (EsimdEuicc *self, GHashTable *table,
                      const gchar *(*get_path) (gpointer object))
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init (&iter, table);
	while (g_hash_table_iter_next (&iter, NULL, &value))
		g_dbus_object_manager_server_unexport (self->object_manager, get_path (value));
	g_hash_table_remove_all (table);
}

static void
euicc_unexport_all (EsimdEuicc *self)
{
	if (self->object_manager == NULL)
		return;
	euicc_unexport_table (self, self->profiles, profile_path_of);
	euicc_unexport_table (self, self->eims, eim_path_of);
	if (self->exported)
		g_dbus_object_manager_server_unexport (self->object_manager, self->path);
	self->exported = FALSE;
}

static void
esimd_euicc_dispose (GObject *object)
{
	EsimdEuicc *self = ESIMD_EUICC (object);

	g_cancellable_cancel (self->cancellable);
	g_clear_pointer (&self->notify, esimd_notify_queue_free);
	g_clear_pointer (&self->poller, esimd_poller_free);
	g_clear_pointer (&self->ci_pkids, g_ptr_array_unref);
	euicc_unexport_all (self);
	esimd_euicc_modem_dispose (self);
	g_queue_clear_full (&self->requests, (GDestroyNotify) esimd_request_free);
	g_clear_object (&self->skeleton);
	g_clear_object (&self->object);
	g_clear_object (&self->isdr);
	g_clear_object (&self->auth);
	g_clear_object (&self->object_manager);
	G_OBJECT_CLASS (esimd_euicc_parent_class)->dispose (object);
}

static void
esimd_euicc_finalize (GObject *object)
{
	EsimdEuicc *self = ESIMD_EUICC (object);

	g_hash_table_unref (self->profiles);
	g_hash_table_unref (self->eims);
	g_clear_pointer (&self->eim_configs, g_ptr_array_unref);
	g_object_unref (self->cancellable);
	g_free (self->path);
	esimd_log_set_eid (self->log_id, NULL);
	g_free (self->log_id);
	g_free (self->eid);
	g_clear_error (&self->gone_error);
	g_clear_error (&self->current_error);
	G_OBJECT_CLASS (esimd_euicc_parent_class)->finalize (object);
}

static void
esimd_euicc_class_init (EsimdEuiccClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);

	object_class->dispose = esimd_euicc_dispose;
	object_class->finalize = esimd_euicc_finalize;

	g_signal_new ("modem-lost", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
	              NULL, G_TYPE_NONE, 0);
}

static void
esimd_euicc_init (EsimdEuicc *self)
{
	self->profiles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
	self->eims = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
	self->cancellable = g_cancellable_new ();
	self->variant = ESIM_ES10_VARIANT_SGP32;
	g_queue_init (&self->requests);
}
