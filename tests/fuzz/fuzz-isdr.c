/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the ISD-R session: what the card answers to MANAGE
 * CHANNEL, SELECT, TERMINAL CAPABILITY, STORE DATA and GET RESPONSE (status
 * words, 61xx/6Cxx chains, data on intermediate blocks, short or empty
 * responses) comes from the input.
 *
 * Input format: a sequence of records, each one length byte L followed by L
 * bytes of response APDU (a last record shorter than L uses what is left).
 * The fake channel answers every command with the next record, whatever the
 * command was; once the input is used up, every transmit fails with a
 * transport error.  The session opens, sends a one-block and a three-block
 * request, runs GetProfilesInfo (so the answer also reaches an ES10 parser)
 * and closes.  Every operation must complete with a result or a GError: one
 * that never does aborts naming it (a finding, as a crash is).
 */

#include "esim-apdu.h"
#include "esim-error.h"
#include "esim-es10.h"
#include "esim-test-wait.h"

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

#define FUZZ_TYPE_CHANNEL (fuzz_channel_get_type ())
G_DECLARE_FINAL_TYPE (FuzzChannel, fuzz_channel, FUZZ, CHANNEL, GObject)

struct _FuzzChannel {
	GObject       parent_instance;
	const guint8 *pos;
	const guint8 *end;
};

static void fuzz_channel_iface_init (EsimChannelInterface *iface);

G_DEFINE_TYPE_WITH_CODE (FuzzChannel, fuzz_channel, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (ESIM_TYPE_CHANNEL, fuzz_channel_iface_init))

static void
fuzz_channel_transmit_async (EsimChannel *channel, gint logical_channel, GBytes *command,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
	FuzzChannel *self = FUZZ_CHANNEL (channel);
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
	gsize len;

	if (self->pos >= self->end) {
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		                         "no more responses");
		return;
	}
	len = MIN ((gsize) *self->pos, (gsize) (self->end - self->pos - 1));
	self->pos++;
	g_task_return_pointer (task, g_bytes_new (self->pos, len), (GDestroyNotify) g_bytes_unref);
	self->pos += len;
}

static GBytes *
fuzz_channel_transmit_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer (G_TASK (res), error);
}

static void
fuzz_channel_iface_init (EsimChannelInterface *iface)
{
	iface->transmit_async = fuzz_channel_transmit_async;
	iface->transmit_finish = fuzz_channel_transmit_finish;
}

static void
fuzz_channel_class_init (FuzzChannelClass *klass)
{
}

static void
fuzz_channel_init (FuzzChannel *self)
{
}

static void
store_result (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GAsyncResult **out = user_data;
	*out = g_object_ref (res);
}

/* The fake channel answers at once: an operation still pending after the
 * deadline never completes. */
static GAsyncResult *
wait_result (GAsyncResult **res, const gchar *operation)
{
	esim_test_wait_until (*res != NULL, "%s to complete", operation);
	return *res;
}

static void
fuzz_transceive (EsimIsdr *isdr, gsize request_len)
{
	g_autofree guint8 *request = g_malloc0 (request_len);
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;

	/* a TLV header so the request looks like one; the card never parses it here */
	request[0] = 0xBF;
	request[1] = 0x2D;
	bytes = g_bytes_new_take (g_steal_pointer (&request), request_len);
	esim_isdr_transceive_async (isdr, bytes, NULL, store_result, &res);
	response = esim_isdr_transceive_finish (isdr, wait_result (&res, "a transceive"), &error);
	if ((response == NULL) == (error == NULL))
		__builtin_trap ();
}

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
	g_autoptr(FuzzChannel) channel = g_object_new (FUZZ_TYPE_CHANNEL, NULL);
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(GAsyncResult) open_res = NULL;
	g_autoptr(GAsyncResult) list_res = NULL;
	g_autoptr(GAsyncResult) close_res = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;

	channel->pos = data;
	channel->end = data + size;
	isdr = esim_isdr_new (ESIM_CHANNEL (channel));
	esim_isdr_open_async (isdr, NULL, store_result, &open_res);
	if (!esim_isdr_open_finish (isdr, wait_result (&open_res, "the ISD-R open"), &error)) {
		if (error == NULL)
			__builtin_trap ();
		return 0;
	}
	fuzz_transceive (isdr, 8);
	fuzz_transceive (isdr, 600);
	esim_es10_get_profiles_info (isdr, NULL, NULL, store_result, &list_res);
	profiles = esim_es10_get_profiles_info_finish (isdr, wait_result (&list_res, "GetProfilesInfo"),
	                                               &error);
	if ((profiles == NULL) == (error == NULL))
		__builtin_trap ();
	g_clear_error (&error);
	esim_isdr_close_async (isdr, NULL, store_result, &close_res);
	if (!esim_isdr_close_finish (isdr, wait_result (&close_res, "the ISD-R close"), &error) &&
	    error == NULL)
		__builtin_trap ();
	return 0;
}
