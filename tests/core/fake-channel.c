/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A scripted EsimChannel for tests (see fake-channel.h). */

#include <gio/gio.h>

#include "esim-error.h"
#include "esim-util.h"
#include "fake-channel.h"

typedef struct {
	gchar *command;  /* normalised upper-case hex */
	GBytes *response; /* NULL: transport error */
	gboolean session_lost; /* with response NULL: the modem session is gone */
} FakeExchange;

struct _FakeChannel {
	GObject parent_instance;
	GQueue script; /* FakeExchange* */
	guint transmit_count;
};

static void fake_channel_iface_init (EsimChannelInterface *iface);

G_DEFINE_TYPE_WITH_CODE (FakeChannel, fake_channel, G_TYPE_OBJECT,
			 G_IMPLEMENT_INTERFACE (ESIM_TYPE_CHANNEL, fake_channel_iface_init))

static void
fake_exchange_free (FakeExchange *exchange)
{
	g_free (exchange->command);
	if (exchange->response != NULL)
		g_bytes_unref (exchange->response);
	g_free (exchange);
}

static gchar *
normalise_hex (const gchar *hex)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = esim_hex_decode (hex, &error);

	g_assert_no_error (error);
	return esim_hex_encode_bytes (bytes);
}

static FakeExchange *
fake_channel_push (FakeChannel *self, const gchar *command_hex, const gchar *response_hex)
{
	FakeExchange *exchange = g_new0 (FakeExchange, 1);

	exchange->command = normalise_hex (command_hex);
	if (response_hex != NULL) {
		g_autoptr(GError) error = NULL;
		exchange->response = esim_hex_decode (response_hex, &error);
		g_assert_no_error (error);
	}
	g_queue_push_tail (&self->script, exchange);
	return exchange;
}

void
fake_channel_expect (FakeChannel *self, const gchar *command_hex, const gchar *response_hex)
{
	g_return_if_fail (FAKE_IS_CHANNEL (self));
	g_return_if_fail (response_hex != NULL);
	fake_channel_push (self, command_hex, response_hex);
}

void
fake_channel_expect_transport_error (FakeChannel *self, const gchar *command_hex)
{
	g_return_if_fail (FAKE_IS_CHANNEL (self));
	fake_channel_push (self, command_hex, NULL);
}

void
fake_channel_expect_session_lost (FakeChannel *self, const gchar *command_hex)
{
	g_return_if_fail (FAKE_IS_CHANNEL (self));
	fake_channel_push (self, command_hex, NULL)->session_lost = TRUE;
}

guint
fake_channel_get_pending (FakeChannel *self)
{
	return g_queue_get_length (&self->script);
}

guint
fake_channel_get_transmit_count (FakeChannel *self)
{
	return self->transmit_count;
}

void
fake_channel_assert_done (FakeChannel *self)
{
	FakeExchange *next = g_queue_peek_head (&self->script);

	if (next != NULL)
		g_test_fail_printf ("expected APDU %s was never sent", next->command);
	g_assert_cmpuint (g_queue_get_length (&self->script), ==, 0);
}

static const gchar *
fake_channel_get_transport (EsimChannel *channel)
{
	return "fake";
}

static void
fake_channel_transmit_async (EsimChannel *channel, gint logical_channel, GBytes *command,
			     GCancellable *cancellable, GAsyncReadyCallback callback,
			     gpointer user_data)
{
	FakeChannel *self = FAKE_CHANNEL (channel);
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
	g_autofree gchar *got = esim_hex_encode_bytes (command);
	FakeExchange *exchange;

	self->transmit_count++;
	if (g_task_return_error_if_cancelled (task))
		return;
	exchange = g_queue_pop_head (&self->script);
	if (exchange == NULL) {
		g_test_fail_printf ("unexpected APDU %s (script is empty)", got);
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
					 "unexpected APDU %s", got);
		return;
	}
	if (g_strcmp0 (exchange->command, got) != 0) {
		g_test_fail_printf ("unexpected APDU %s, expected %s", got, exchange->command);
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
					 "unexpected APDU %s", got);
		fake_exchange_free (exchange);
		return;
	}
	if (exchange->session_lost) {
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_SESSION_LOST,
					 "fake modem session lost");
	} else if (exchange->response == NULL) {
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
					 "fake transport failure");
	} else {
		/* completes from an idle: like a real backend, never inside the call */
		g_task_return_pointer (task, g_bytes_ref (exchange->response),
				       (GDestroyNotify) g_bytes_unref);
	}
	fake_exchange_free (exchange);
}

static GBytes *
fake_channel_transmit_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer (G_TASK (res), error);
}

static void
fake_channel_iface_init (EsimChannelInterface *iface)
{
	iface->get_transport = fake_channel_get_transport;
	iface->open_async = esim_channel_raw_open_async;
	iface->open_finish = esim_channel_raw_open_finish;
	iface->transmit_async = fake_channel_transmit_async;
	iface->transmit_finish = fake_channel_transmit_finish;
	iface->close_async = esim_channel_raw_close_async;
	iface->close_finish = esim_channel_raw_close_finish;
}

static void
fake_channel_finalize (GObject *object)
{
	FakeChannel *self = FAKE_CHANNEL (object);

	g_queue_clear_full (&self->script, (GDestroyNotify) fake_exchange_free);
	G_OBJECT_CLASS (fake_channel_parent_class)->finalize (object);
}

static void
fake_channel_init (FakeChannel *self)
{
	g_queue_init (&self->script);
}

static void
fake_channel_class_init (FakeChannelClass *klass)
{
	G_OBJECT_CLASS (klass)->finalize = fake_channel_finalize;
}

FakeChannel *
fake_channel_new (void)
{
	return g_object_new (FAKE_TYPE_CHANNEL, NULL);
}
