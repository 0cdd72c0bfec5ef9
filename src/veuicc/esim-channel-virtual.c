/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "virtual" channel backend: raw APDUs go to an EsimVeuicc.
 *
 * Every transmit completes from an idle callback, never inside the call, so
 * callers meet the same asynchronous ordering as with a real modem.  open and
 * close are left unset: esim-channel.c then sends the generic MANAGE CHANNEL +
 * SELECT sequence through transmit, exactly as a PC/SC reader would see it.
 */

#include "esim-channel-virtual.h"

struct _EsimChannelVirtual {
	GObject     parent_instance;
	EsimVeuicc *card;
};

static void esim_channel_virtual_iface_init (EsimChannelInterface *iface);

G_DEFINE_TYPE_WITH_CODE (EsimChannelVirtual, esim_channel_virtual, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (ESIM_TYPE_CHANNEL, esim_channel_virtual_iface_init))

static const gchar *
esim_channel_virtual_get_transport (EsimChannel *channel)
{
	return "virtual";
}

static gboolean
transmit_idle_cb (gpointer user_data)
{
	GTask *task = G_TASK (user_data);
	EsimChannelVirtual *self = g_task_get_source_object (task);
	GBytes *command = g_task_get_task_data (task);

	if (g_task_return_error_if_cancelled (task))
		return G_SOURCE_REMOVE;
	g_task_return_pointer (task, esim_veuicc_process_apdu (self->card, command),
	                       (GDestroyNotify) g_bytes_unref);
	return G_SOURCE_REMOVE;
}

static void
esim_channel_virtual_transmit_async (EsimChannel *channel, gint logical_channel, GBytes *command,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data)
{
	EsimChannelVirtual *self = ESIM_CHANNEL_VIRTUAL (channel);
	g_autoptr(GTask) task = NULL;
	g_autoptr(GSource) source = NULL;

	g_return_if_fail (command != NULL);

	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esim_channel_virtual_transmit_async);
	/* the CLA already carries @logical_channel; the card decodes it from there,
	 * and answers malformed APDUs with a status word as a real card does */
	g_task_set_task_data (task, g_bytes_ref (command), (GDestroyNotify) g_bytes_unref);
	source = g_idle_source_new ();
	g_task_attach_source (task, source, transmit_idle_cb);
}

static GBytes *
esim_channel_virtual_transmit_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, channel), NULL);
	return g_task_propagate_pointer (G_TASK (res), error);
}

static void
esim_channel_virtual_iface_init (EsimChannelInterface *iface)
{
	iface->get_transport = esim_channel_virtual_get_transport;
	iface->transmit_async = esim_channel_virtual_transmit_async;
	iface->transmit_finish = esim_channel_virtual_transmit_finish;
}

static void
esim_channel_virtual_finalize (GObject *object)
{
	EsimChannelVirtual *self = ESIM_CHANNEL_VIRTUAL (object);
	g_clear_object (&self->card);
	G_OBJECT_CLASS (esim_channel_virtual_parent_class)->finalize (object);
}

static void
esim_channel_virtual_class_init (EsimChannelVirtualClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);
	object_class->finalize = esim_channel_virtual_finalize;
}

static void
esim_channel_virtual_init (EsimChannelVirtual *self)
{
}

EsimChannelVirtual *
esim_channel_virtual_new (EsimVeuicc *card)
{
	EsimChannelVirtual *self;
	g_return_val_if_fail (ESIM_IS_VEUICC (card), NULL);
	self = g_object_new (ESIM_TYPE_CHANNEL_VIRTUAL, NULL);
	self->card = g_object_ref (card);
	return self;
}

EsimVeuicc *
esim_channel_virtual_get_card (EsimChannelVirtual *self)
{
	g_return_val_if_fail (ESIM_IS_CHANNEL_VIRTUAL (self), NULL);
	return self->card;
}
