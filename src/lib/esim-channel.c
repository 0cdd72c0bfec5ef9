/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The channel interface, its wrappers, and the generic open/close sequence for
 * backends that only carry raw APDUs.
 *
 * A backend that leaves open_async/close_async unset gets the raw sequence
 * (MANAGE CHANNEL + SELECT) automatically; it may also assign
 * esim_channel_raw_open_async() and friends to the vfuncs explicitly.
 *
 * SELECT is sent with P2 = 00 (return FCI, the GlobalPlatform form); the real
 * IoT card of vectors.md V1 was sent P2 = 04 and both are accepted by cards.
 * The FCI announced by 61xx is not fetched: nothing here needs it.
 */

#define G_LOG_DOMAIN "esim"

#include "esim-apdu.h"
#include "esim-channel.h"
#include "esim-error.h"
#include "esim-tags.h"
#include "esim-util.h"

G_DEFINE_INTERFACE (EsimChannel, esim_channel, G_TYPE_OBJECT)

static void
esim_channel_default_init (EsimChannelInterface *iface)
{
}

const gchar *
esim_channel_get_transport (EsimChannel *self)
{
	EsimChannelInterface *iface;

	g_return_val_if_fail (ESIM_IS_CHANNEL (self), NULL);
	iface = ESIM_CHANNEL_GET_IFACE (self);
	if (iface->get_transport == NULL)
		return "unknown";
	return iface->get_transport (self);
}

void
esim_channel_open_async (EsimChannel *self, GBytes *aid, GCancellable *cancellable,
			 GAsyncReadyCallback callback, gpointer user_data)
{
	EsimChannelInterface *iface;

	g_return_if_fail (ESIM_IS_CHANNEL (self));
	g_return_if_fail (aid != NULL);

	iface = ESIM_CHANNEL_GET_IFACE (self);
	if (iface->open_async == NULL) {
		esim_channel_raw_open_async (self, aid, cancellable, callback, user_data);
		return;
	}
	iface->open_async (self, aid, cancellable, callback, user_data);
}

gint
esim_channel_open_finish (EsimChannel *self, GAsyncResult *res, GError **error)
{
	EsimChannelInterface *iface;

	g_return_val_if_fail (ESIM_IS_CHANNEL (self), -1);
	iface = ESIM_CHANNEL_GET_IFACE (self);
	if (iface->open_async == NULL)
		return esim_channel_raw_open_finish (self, res, error);
	return iface->open_finish (self, res, error);
}

void
esim_channel_transmit_async (EsimChannel *self, gint channel, GBytes *command,
			     GCancellable *cancellable, GAsyncReadyCallback callback,
			     gpointer user_data)
{
	EsimChannelInterface *iface;

	g_return_if_fail (ESIM_IS_CHANNEL (self));
	g_return_if_fail (command != NULL);

	iface = ESIM_CHANNEL_GET_IFACE (self);
	if (iface->transmit_async == NULL) {
		g_task_report_new_error (self, callback, user_data, esim_channel_transmit_async,
					 G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
					 "channel backend cannot transmit APDUs");
		return;
	}
	iface->transmit_async (self, channel, command, cancellable, callback, user_data);
}

GBytes *
esim_channel_transmit_finish (EsimChannel *self, GAsyncResult *res, GError **error)
{
	EsimChannelInterface *iface;

	g_return_val_if_fail (ESIM_IS_CHANNEL (self), NULL);
	if (g_async_result_is_tagged (res, esim_channel_transmit_async))
		return g_task_propagate_pointer (G_TASK (res), error);
	iface = ESIM_CHANNEL_GET_IFACE (self);
	return iface->transmit_finish (self, res, error);
}

void
esim_channel_close_async (EsimChannel *self, gint channel, GCancellable *cancellable,
			  GAsyncReadyCallback callback, gpointer user_data)
{
	EsimChannelInterface *iface;

	g_return_if_fail (ESIM_IS_CHANNEL (self));

	iface = ESIM_CHANNEL_GET_IFACE (self);
	if (iface->close_async == NULL) {
		esim_channel_raw_close_async (self, channel, cancellable, callback, user_data);
		return;
	}
	iface->close_async (self, channel, cancellable, callback, user_data);
}

gboolean
esim_channel_close_finish (EsimChannel *self, GAsyncResult *res, GError **error)
{
	EsimChannelInterface *iface;

	g_return_val_if_fail (ESIM_IS_CHANNEL (self), FALSE);
	iface = ESIM_CHANNEL_GET_IFACE (self);
	if (iface->close_async == NULL)
		return esim_channel_raw_close_finish (self, res, error);
	return iface->close_finish (self, res, error);
}

void
esim_channel_reset_card_async (EsimChannel *self, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
	EsimChannelInterface *iface;

	g_return_if_fail (ESIM_IS_CHANNEL (self));
	iface = ESIM_CHANNEL_GET_IFACE (self);
	if (iface->reset_card_async == NULL) {
		g_task_report_new_error (self, callback, user_data, esim_channel_reset_card_async,
		                         G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
		                         "the %s transport cannot reset the card",
		                         esim_channel_get_transport (self));
		return;
	}
	iface->reset_card_async (self, cancellable, callback, user_data);
}

gboolean
esim_channel_reset_card_finish (EsimChannel *self, GAsyncResult *res, GError **error)
{
	EsimChannelInterface *iface;

	g_return_val_if_fail (ESIM_IS_CHANNEL (self), FALSE);
	iface = ESIM_CHANNEL_GET_IFACE (self);
	if (g_async_result_is_tagged (res, esim_channel_reset_card_async))
		return g_task_propagate_boolean (G_TASK (res), error);
	return iface->reset_card_finish (self, res, error);
}

gboolean
esim_channel_can_release (EsimChannel *self)
{
	g_return_val_if_fail (ESIM_IS_CHANNEL (self), FALSE);
	return ESIM_CHANNEL_GET_IFACE (self)->release_async != NULL;
}

void
esim_channel_release_async (EsimChannel *self, GAsyncReadyCallback callback, gpointer user_data)
{
	EsimChannelInterface *iface;
	g_autoptr(GTask) task = NULL;

	g_return_if_fail (ESIM_IS_CHANNEL (self));
	iface = ESIM_CHANNEL_GET_IFACE (self);
	if (iface->release_async != NULL) {
		iface->release_async (self, callback, user_data);
		return;
	}
	/* nothing held between operations */
	task = g_task_new (self, NULL, callback, user_data);
	g_task_set_source_tag (task, esim_channel_release_async);
	g_task_return_boolean (task, TRUE);
}

void
esim_channel_release_finish (EsimChannel *self, GAsyncResult *res)
{
	EsimChannelInterface *iface;

	g_return_if_fail (ESIM_IS_CHANNEL (self));
	if (g_async_result_is_tagged (res, esim_channel_release_async)) {
		g_task_propagate_boolean (G_TASK (res), NULL);
		return;
	}
	iface = ESIM_CHANNEL_GET_IFACE (self);
	iface->release_finish (self, res);
}

/* ------------------------------------------------------------------------ */
/* raw open: MANAGE CHANNEL open, SELECT by AID; close the channel again if SELECT fails */

typedef enum {
	RAW_OPEN_STEP_MANAGE_CHANNEL,
	RAW_OPEN_STEP_SELECT,
	RAW_OPEN_STEP_CLOSE_AFTER_ERROR,
	RAW_OPEN_STEP_DONE,
} RawOpenStep;

typedef struct {
	RawOpenStep step;
	GBytes *aid;
	gint channel;
	GError *saved_error; /* why SELECT failed, reported after the channel is closed */
} RawOpenContext;

static void
raw_open_context_free (RawOpenContext *ctx)
{
	g_bytes_unref (ctx->aid);
	g_clear_error (&ctx->saved_error);
	g_free (ctx);
}

static void raw_open_step (GTask *task);

/* Finishes a transmit and splits the response into data and status word. */
static gboolean
raw_finish_response (EsimChannel *self, GAsyncResult *res, GBytes **data, guint16 *sw,
		     GError **error)
{
	g_autoptr(GBytes) response = esim_channel_transmit_finish (self, res, error);

	if (response == NULL)
		return FALSE;
	return esim_apdu_response_parse (response, data, sw, error);
}

static void
raw_open_manage_channel_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	RawOpenContext *ctx = g_task_get_task_data (task);
	g_autoptr(GBytes) data = NULL;
	g_autoptr(GError) error = NULL;
	const guint8 *bytes;
	gsize len = 0;
	guint16 sw = 0;

	if (!raw_finish_response (ESIM_CHANNEL (source), res, &data, &sw, &error)) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	if (sw != ESIM_SW_OK) {
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL,
					 "MANAGE CHANNEL refused with SW %04X", sw);
		return;
	}
	bytes = g_bytes_get_data (data, &len);
	if (len != 1 || bytes[0] == 0 || bytes[0] > ESIM_LOGICAL_CHANNEL_MAX) {
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
					 "MANAGE CHANNEL returned %" G_GSIZE_FORMAT
					 " bytes instead of one channel number 1-19",
					 len);
		return;
	}
	ctx->channel = bytes[0];
	g_debug ("opened logical channel %d", ctx->channel);
	ctx->step++;
	raw_open_step (task);
}

static void
raw_open_select_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	RawOpenContext *ctx = g_task_get_task_data (task);
	guint16 sw = 0;

	if (!raw_finish_response (ESIM_CHANNEL (source), res, NULL, &sw, &ctx->saved_error) ||
	    !esim_apdu_check_sw (sw, &ctx->saved_error)) {
		ctx->step = RAW_OPEN_STEP_CLOSE_AFTER_ERROR;
		raw_open_step (task);
		return;
	}
	/* 9000, or 61xx with the FCI waiting: the application is selected either way */
	ctx->step = RAW_OPEN_STEP_DONE;
	raw_open_step (task);
}

static void
raw_open_close_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	RawOpenContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;

	if (!esim_channel_raw_close_finish (ESIM_CHANNEL (source), res, &error))
		g_debug ("closing logical channel %d after a failed SELECT: %s", ctx->channel,
			 error->message);
	g_task_return_error (task, g_steal_pointer (&ctx->saved_error));
}

static void
raw_open_step (GTask *task)
{
	EsimChannel *self = g_task_get_source_object (task);
	RawOpenContext *ctx = g_task_get_task_data (task);
	GCancellable *cancellable = g_task_get_cancellable (task);

	switch (ctx->step) {
	case RAW_OPEN_STEP_MANAGE_CHANNEL: {
		static const guint8 open_cmd[] = {
			ESIM_CLA_INTERINDUSTRY, ESIM_INS_MANAGE_CHANNEL,
			ESIM_MANAGE_CHANNEL_P1_OPEN, 0x00, 0x01,
		};
		g_autoptr(GBytes) command = g_bytes_new_static (open_cmd, sizeof (open_cmd));

		if (g_task_return_error_if_cancelled (task))
			return;
		esim_channel_transmit_async (self, 0, command, cancellable,
					     raw_open_manage_channel_ready, g_object_ref (task));
		return;
	}
	case RAW_OPEN_STEP_SELECT: {
		g_autoptr(GBytes) command = NULL;
		EsimApdu apdu = {
			.cla = esim_apdu_cla_for_channel (ctx->channel, FALSE),
			.ins = ESIM_INS_SELECT,
			.p1 = ESIM_SELECT_P1_BY_DF_NAME,
			.p2 = ESIM_SELECT_P2_FIRST_FCI,
			.le = -1,
		};

		apdu.data = g_bytes_get_data (ctx->aid, &apdu.data_len);

		if (g_cancellable_set_error_if_cancelled (cancellable, &ctx->saved_error)) {
			ctx->step = RAW_OPEN_STEP_CLOSE_AFTER_ERROR;
			raw_open_step (task);
			return;
		}
		command = esim_apdu_encode (&apdu);
		esim_channel_transmit_async (self, ctx->channel, command, cancellable,
					     raw_open_select_ready, g_object_ref (task));
		return;
	}
	case RAW_OPEN_STEP_CLOSE_AFTER_ERROR:
		/* not cancellable: the channel must not leak */
		esim_channel_raw_close_async (self, ctx->channel, NULL, raw_open_close_ready,
					      g_object_ref (task));
		return;
	case RAW_OPEN_STEP_DONE:
		g_task_return_int (task, ctx->channel);
		return;
	}
}

void
esim_channel_raw_open_async (EsimChannel *self, GBytes *aid, GCancellable *cancellable,
			     GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = NULL;
	RawOpenContext *ctx;
	gsize aid_len;

	g_return_if_fail (ESIM_IS_CHANNEL (self));
	g_return_if_fail (aid != NULL);

	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esim_channel_raw_open_async);
	aid_len = g_bytes_get_size (aid);
	if (aid_len < 1 || aid_len > 16) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
					 "AID of %" G_GSIZE_FORMAT " bytes (must be 1-16)", aid_len);
		return;
	}
	ctx = g_new0 (RawOpenContext, 1);
	ctx->aid = g_bytes_ref (aid);
	ctx->channel = -1;
	g_task_set_task_data (task, ctx, (GDestroyNotify) raw_open_context_free);
	raw_open_step (task);
}

gint
esim_channel_raw_open_finish (EsimChannel *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), -1);
	return (gint) g_task_propagate_int (G_TASK (res), error);
}

static void
raw_close_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	g_autoptr(GError) error = NULL;
	guint16 sw = 0;

	if (!raw_finish_response (ESIM_CHANNEL (source), res, NULL, &sw, &error) ||
	    !esim_apdu_check_sw (sw, &error)) {
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	g_task_return_boolean (task, TRUE);
}

void
esim_channel_raw_close_async (EsimChannel *self, gint channel, GCancellable *cancellable,
			      GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = NULL;
	g_autoptr(GBytes) command = NULL;
	guint8 close_cmd[] = {
		ESIM_CLA_INTERINDUSTRY, ESIM_INS_MANAGE_CHANNEL, ESIM_MANAGE_CHANNEL_P1_CLOSE,
		0x00, 0x00,
	};

	g_return_if_fail (ESIM_IS_CHANNEL (self));

	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esim_channel_raw_close_async);
	if (channel < 1 || channel > ESIM_LOGICAL_CHANNEL_MAX) {
		g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
					 "cannot close logical channel %d", channel);
		return;
	}
	close_cmd[3] = (guint8) channel;
	command = g_bytes_new (close_cmd, sizeof (close_cmd));
	esim_channel_transmit_async (self, 0, command, cancellable, raw_close_ready,
				     g_steal_pointer (&task));
}

gboolean
esim_channel_raw_close_finish (EsimChannel *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}
