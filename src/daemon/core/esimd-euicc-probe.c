/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading an eUICC into its bus objects: one step machine for the first probe
 * (everything) and for the refresh after an operation (what it changed):
 * open ISD-R -> GetEID -> GetEUICCInfo2 -> configured addresses ->
 * GetProfilesInfo -> ListNotification -> GetEimConfigurationData.
 *
 * A card that dropped our logical channel (a REFRESH after a profile switch,
 * a reset) answers with "no channel" or "conditions not satisfied": the ISD-R
 * is then opened again once and the step repeated.
 *
 * Only the EID and the profile list are needed to use a card.  The other
 * reads (EUICCInfo2, configured addresses, notification count, eIM
 * configuration) only fill properties: when the card refuses one, that
 * property keeps its value (empty at first), the reason is logged (a warning
 * the first time, then at debug level) and the refresh goes on.  A card that
 * no longer answers at all still ends the refresh.
 */

#include "esim-der.h"
#include "esimd-euicc-private.h"
#include "esimd-log.h"

typedef enum {
	REFRESH_STEP_FIRST,
	REFRESH_STEP_OPEN,
	REFRESH_STEP_EID,
	REFRESH_STEP_INFO2,
	REFRESH_STEP_ADDRESSES,
	REFRESH_STEP_PROFILES,
	REFRESH_STEP_NOTIFICATIONS,
	REFRESH_STEP_EIMS,
	REFRESH_STEP_LAST,
} RefreshStep;

typedef struct {
	RefreshStep step;
	RefreshStep resume_step;
	guint       flags;
	gboolean    reopened;
} RefreshContext;

static void refresh_step (GTask *task);

static gboolean
refresh_error_is_lost_channel (const GError *error)
{
	return g_error_matches (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED) ||
	       g_error_matches (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL) ||
	       g_error_matches (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CONDITIONS);
}

/* The card answered, and the answer was no (a status word, an error result, or
 * something we cannot decode) — not a transport failure, a cancellation or a
 * channel it dropped. */
static gboolean
refresh_error_is_refusal (const GError *error)
{
	if (error->domain == ESIM_ES10_ERROR || error->domain == ESIM_DER_ERROR)
		return TRUE;
	if (error->domain != ESIM_APDU_ERROR)
		return FALSE;
	return error->code != ESIM_APDU_ERROR_TRANSPORT &&
	       error->code != ESIM_APDU_ERROR_CHANNEL_CLOSED &&
	       error->code != ESIM_APDU_ERROR_NO_CHANNEL;
}

static void
refresh_reopen_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = g_task_get_source_object (task);
	RefreshContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	if (!esim_isdr_open_finish (ESIM_ISDR (source), res, &error)) {
		self->healthy = FALSE;
		g_task_return_error (task, error);
		g_object_unref (task);
		return;
	}
	ctx->step = ctx->resume_step;
	refresh_step (task);
}

static void
refresh_reopen_closed (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	g_autoptr(GError) error = NULL;

	/* the channel is most likely gone already: a failing close is expected */
	esim_isdr_close_finish (ESIM_ISDR (source), res, &error);
	esim_isdr_open_async (ESIM_ISDR (source), g_task_get_cancellable (task), refresh_reopen_ready,
	                      task);
}

/* Ends the refresh with @error (taken), unless the channel can be opened again. */
static void
refresh_fail (GTask *task, GError *error)
{
	EsimdEuicc *self = g_task_get_source_object (task);
	RefreshContext *ctx = g_task_get_task_data (task);

	if (!ctx->reopened && ctx->step > REFRESH_STEP_OPEN && refresh_error_is_lost_channel (error)) {
		esimd_obj_info (self->log_id, "the eUICC dropped the ISD-R channel (%s): opening it again",
		                error->message);
		g_error_free (error);
		ctx->reopened = TRUE;
		ctx->resume_step = ctx->step;
		esim_isdr_close_async (self->isdr, g_task_get_cancellable (task), refresh_reopen_closed,
		                       task);
		return;
	}
	self->healthy = FALSE;
	g_task_return_error (task, error);
	g_object_unref (task);
}

static void
refresh_next (GTask *task)
{
	RefreshContext *ctx = g_task_get_task_data (task);

	ctx->step++;
	refresh_step (task);
}

/* An optional read failed with @error (taken): what it fills stays as it is, unless
 * the card is gone or dropped the channel, which ends the refresh as for any read. */
static void
refresh_skip_optional (GTask *task, guint what, const gchar *function, const gchar *properties,
                       GError *error)
{
	EsimdEuicc *self = g_task_get_source_object (task);
	RefreshContext *ctx = g_task_get_task_data (task);

	/* "conditions not satisfied" is first taken for a dropped channel: reopen once */
	if (!refresh_error_is_refusal (error) ||
	    (!ctx->reopened && refresh_error_is_lost_channel (error))) {
		refresh_fail (task, error);
		return;
	}
	if (self->refused_reads & what) {
		esimd_obj_debug (self->log_id, "%s refused again: %s", function, error->message);
	} else {
		esimd_obj_warn (self->log_id, "the eUICC refused %s (%s): %s not read", function,
		                error->message, properties);
		self->refused_reads |= what;
	}
	g_error_free (error);
	refresh_next (task);
}

static void
refresh_open_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	GError *error = NULL;

	if (!esim_isdr_open_finish (ESIM_ISDR (source), res, &error)) {
		refresh_fail (task, error);
		return;
	}
	refresh_next (task);
}

static void
refresh_eid_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = g_task_get_source_object (task);
	GError *error = NULL;
	g_autofree gchar *eid = esim_es10_get_eid_finish (ESIM_ISDR (source), res, &error);

	if (eid == NULL) {
		refresh_fail (task, error);
		return;
	}
	esimd_euicc_set_eid (self, eid);
	refresh_next (task);
}

static void
refresh_info2_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = g_task_get_source_object (task);
	GError *error = NULL;
	g_autoptr(EsimEuiccInfo2) info = esim_es10_get_euicc_info2_finish (ESIM_ISDR (source), res,
	                                                                   &error);

	if (info == NULL) {
		refresh_skip_optional (task, ESIMD_REFRESH_INFO, "GetEUICCInfo2",
		                       "SvnVersion, ProfileVersion, FirmwareVersion and FreeNvMemory",
		                       error);
		return;
	}
	self->refused_reads &= ~ESIMD_REFRESH_INFO;
	esimd_euicc_apply_info2 (self, info);
	refresh_next (task);
}

static void
refresh_addresses_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = g_task_get_source_object (task);
	GError *error = NULL;
	g_autoptr(EsimConfiguredAddresses) addresses = NULL;

	addresses = esim_es10_get_configured_addresses_finish (ESIM_ISDR (source), res, &error);
	if (addresses == NULL) {
		refresh_skip_optional (task, ESIMD_REFRESH_ADDRESSES, "EuiccConfiguredAddresses",
		                       "DefaultDpAddress", error);
		return;
	}
	self->refused_reads &= ~ESIMD_REFRESH_ADDRESSES;
	esimd_euicc_apply_addresses (self, addresses);
	refresh_next (task);
}

static void
refresh_profiles_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = g_task_get_source_object (task);
	GError *error = NULL;
	g_autoptr(GPtrArray) infos = esim_es10_get_profiles_info_finish (ESIM_ISDR (source), res,
	                                                                 &error);

	if (infos == NULL) {
		refresh_fail (task, error);
		return;
	}
	esimd_euicc_sync_profiles (self, infos);
	refresh_next (task);
}

static void
refresh_notifications_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = g_task_get_source_object (task);
	GError *error = NULL;
	g_autoptr(GPtrArray) list = esim_es10_list_notification_finish (ESIM_ISDR (source), res,
	                                                                &error);

	if (list == NULL) {
		refresh_skip_optional (task, ESIMD_REFRESH_NOTIFICATIONS, "ListNotification",
		                       "PendingNotifications", error);
		return;
	}
	self->refused_reads &= ~ESIMD_REFRESH_NOTIFICATIONS;
	esimd_euicc_set_pending_notifications (self, list->len);
	refresh_next (task);
}

static void
refresh_eims_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdEuicc *self = g_task_get_source_object (task);
	GError *error = NULL;
	g_autoptr(GPtrArray) configs = NULL;

	configs = esim_es10_get_eim_configuration_data_finish (ESIM_ISDR (source), res, &error);
	if (configs == NULL) {
		/* consumer (SGP.22) cards do not know the function: nothing to warn about */
		if (self->variant == ESIM_ES10_VARIANT_SGP22)
			self->refused_reads |= ESIMD_REFRESH_EIMS;
		refresh_skip_optional (task, ESIMD_REFRESH_EIMS, "GetEimConfigurationData", "Eims",
		                       error);
		return;
	}
	self->refused_reads &= ~ESIMD_REFRESH_EIMS;
	esimd_euicc_sync_eims (self, configs);
	refresh_next (task);
}

static void
refresh_step (GTask *task)
{
	EsimdEuicc *self = g_task_get_source_object (task);
	RefreshContext *ctx = g_task_get_task_data (task);
	GCancellable *cancellable = g_task_get_cancellable (task);

	if (g_task_return_error_if_cancelled (task)) {
		g_object_unref (task);
		return;
	}

	switch (ctx->step) {
	case REFRESH_STEP_FIRST:
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case REFRESH_STEP_OPEN:
		if (!esimd_euicc_isdr_is_open (self)) {
			esim_isdr_open_async (self->isdr, cancellable, refresh_open_ready, task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case REFRESH_STEP_EID:
		/* the EID never changes: read once */
		if ((ctx->flags & ESIMD_REFRESH_INFO) && self->eid == NULL) {
			esim_es10_get_eid (self->isdr, cancellable, refresh_eid_ready, task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case REFRESH_STEP_INFO2:
		if (ctx->flags & ESIMD_REFRESH_INFO) {
			esim_es10_get_euicc_info2 (self->isdr, cancellable, refresh_info2_ready, task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case REFRESH_STEP_ADDRESSES:
		if (ctx->flags & ESIMD_REFRESH_ADDRESSES) {
			esim_es10_get_configured_addresses (self->isdr, cancellable,
			                                    refresh_addresses_ready, task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case REFRESH_STEP_PROFILES:
		if (ctx->flags & ESIMD_REFRESH_PROFILES) {
			esim_es10_get_profiles_info (self->isdr, NULL, cancellable, refresh_profiles_ready,
			                             task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case REFRESH_STEP_NOTIFICATIONS:
		if (ctx->flags & ESIMD_REFRESH_NOTIFICATIONS) {
			esim_es10_list_notification (self->isdr, 0, cancellable,
			                             refresh_notifications_ready, task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case REFRESH_STEP_EIMS:
		if (ctx->flags & ESIMD_REFRESH_EIMS) {
			esim_es10_get_eim_configuration_data (self->isdr, NULL, cancellable,
			                                      refresh_eims_ready, task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case REFRESH_STEP_LAST:
		self->healthy = TRUE;
		g_task_return_boolean (task, TRUE);
		g_object_unref (task);
		return;
	default:
		refresh_fail (task, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "bad step %d",
		                                 (gint) ctx->step));
		return;
	}
}

void
esimd_euicc_refresh_async (EsimdEuicc *self,
                           guint flags,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
	GTask *task;
	RefreshContext *ctx;

	g_return_if_fail (ESIMD_IS_EUICC (self));

	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esimd_euicc_refresh_async);
	ctx = g_new0 (RefreshContext, 1);
	ctx->step = REFRESH_STEP_FIRST;
	ctx->flags = flags;
	g_task_set_task_data (task, ctx, g_free);
	refresh_step (task);
}

gboolean
esimd_euicc_refresh_finish (EsimdEuicc *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}
