/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PC/SC reader discovery for esimd.
 *
 * Readers named by the user are resolved against pcscd's list and returned as
 * they are: a named reader is wanted even while it is empty.  A name that
 * matches no reader (or several) is logged and skipped.  Without names,
 * every reader is probed in turn: a card that opens a logical channel to the
 * ISD-R is an eUICC (the channel is closed again at once); anything else
 * (no card, a plain SIM, a bank card, a reader that fails) is left alone.
 */

#include "esimd-pcsc.h"

#ifdef WITH_PCSC

#include "esim-apdu.h"
#include "esim-channel-pcsc.h"

typedef enum {
	DISCOVER_STEP_LIST_READERS,
	DISCOVER_STEP_RESOLVE_NAMES,
	DISCOVER_STEP_PROBE,
	DISCOVER_STEP_DONE,
} DiscoverStep;

typedef struct {
	DiscoverStep     step;
	GStrv            wanted;        /* NULL: every reader holding an eUICC */
	GStrv            readers;       /* as pcscd lists them */
	guint            probe_index;   /* next reader to probe */
	EsimChannelPcsc *probing;       /* the reader being probed */
	GPtrArray       *found;         /* EsimChannelPcsc* */
} DiscoverContext;

static void
discover_context_free (DiscoverContext *ctx)
{
	g_strfreev (ctx->wanted);
	g_strfreev (ctx->readers);
	g_clear_object (&ctx->probing);
	g_ptr_array_unref (ctx->found);
	g_free (ctx);
}

static void discover_step (GTask *task);

/* "“A”, “B”" or "none", for error messages. */
static gchar *
discover_describe_readers (GStrv readers)
{
	g_autoptr(GString) str = g_string_new (NULL);

	for (guint i = 0; readers[i] != NULL; i++)
		g_string_append_printf (str, "%s“%s”", i > 0 ? ", " : "", readers[i]);
	if (str->len == 0)
		g_string_append (str, "none");
	return g_string_free (g_steal_pointer (&str), FALSE);
}

/* The reader @name means: exact name first, else the one reader it starts. */
static const gchar *
discover_match_name (GStrv readers, const gchar *name, GError **error)
{
	g_autoptr(GPtrArray) candidates = g_ptr_array_new ();
	g_autofree gchar *present = NULL;

	for (guint i = 0; readers[i] != NULL; i++) {
		if (g_strcmp0 (readers[i], name) == 0)
			return readers[i];
		if (name[0] != '\0' && g_str_has_prefix (readers[i], name))
			g_ptr_array_add (candidates, readers[i]);
	}
	if (candidates->len == 1)
		return g_ptr_array_index (candidates, 0);

	if (candidates->len == 0) {
		present = discover_describe_readers (readers);
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
		             "PC/SC reader “%s” not found (readers present: %s)", name, present);
		return NULL;
	}
	g_ptr_array_add (candidates, NULL);
	present = discover_describe_readers ((GStrv) candidates->pdata);
	g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
	             "PC/SC reader name “%s” matches several readers: %s", name, present);
	return NULL;
}

/* A named reader that is not there must not cost the others: it is logged and skipped. */
static void
discover_resolve_names (DiscoverContext *ctx)
{
	g_autoptr(GPtrArray) chosen = g_ptr_array_new ();

	for (guint i = 0; ctx->wanted[i] != NULL; i++) {
		g_autoptr(GError) error = NULL;
		const gchar *reader = discover_match_name (ctx->readers, ctx->wanted[i], &error);

		if (reader == NULL) {
			g_warning ("%s: not attached", error->message);
			continue;
		}
		/* the same reader named twice (or by name and prefix) is one reader */
		if (g_ptr_array_find (chosen, reader, NULL))
			continue;
		g_ptr_array_add (chosen, (gpointer) reader);
		g_ptr_array_add (ctx->found, esim_channel_pcsc_new (reader));
	}
}

static void
discover_list_readers_thread (GTask *task, gpointer source_object, gpointer task_data,
                              GCancellable *cancellable)
{
	GError *error = NULL;
	GStrv readers = esim_pcsc_list_readers (&error);

	if (readers == NULL) {
		g_task_return_error (task, error);
		return;
	}
	g_task_return_pointer (task, readers, (GDestroyNotify) g_strfreev);
}

static void
discover_list_readers_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	DiscoverContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	ctx->readers = g_task_propagate_pointer (G_TASK (res), &error);
	if (ctx->readers == NULL) {
		g_task_return_error (task, error);
		return;
	}
	g_debug ("PC/SC: %u reader(s)", g_strv_length (ctx->readers));
	ctx->step = ctx->wanted != NULL ? DISCOVER_STEP_RESOLVE_NAMES : DISCOVER_STEP_PROBE;
	discover_step (task);
}

static void
discover_probe_close_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	DiscoverContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimChannelPcsc) channel = g_steal_pointer (&ctx->probing);

	/* the card is an eUICC either way; a failed close only leaves a channel
	 * that the next open does not need */
	if (!esim_channel_close_finish (ESIM_CHANNEL (channel), res, &error))
		g_debug ("PC/SC reader “%s”: closing the probe channel: %s",
		         esim_channel_pcsc_get_reader_name (channel), error->message);
	g_debug ("PC/SC reader “%s” holds an eUICC",
	         esim_channel_pcsc_get_reader_name (channel));
	g_ptr_array_add (ctx->found, g_steal_pointer (&channel));
	discover_step (task);
}

static void
discover_probe_open_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	DiscoverContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;
	gint channel;

	channel = esim_channel_open_finish (ESIM_CHANNEL (source), res, &error);
	if (error != NULL) {
		g_debug ("PC/SC reader “%s”: no eUICC: %s",
		         esim_channel_pcsc_get_reader_name (ctx->probing), error->message);
		g_clear_object (&ctx->probing);
		discover_step (task);
		return;
	}
	/* not cancellable: the probe must not leave the channel open */
	esim_channel_close_async (ESIM_CHANNEL (source), channel, NULL, discover_probe_close_ready,
	                          g_steal_pointer (&task));
}

static void
discover_step (GTask *task)
{
	DiscoverContext *ctx = g_task_get_task_data (task);

	if (g_task_return_error_if_cancelled (task))
		return;

	switch (ctx->step) {
	case DISCOVER_STEP_LIST_READERS: {
		g_autoptr(GTask) list_task = g_task_new (NULL, g_task_get_cancellable (task),
		                                         discover_list_readers_ready,
		                                         g_object_ref (task));
		g_task_set_source_tag (list_task, discover_list_readers_thread);
		g_task_run_in_thread (list_task, discover_list_readers_thread);
		return;
	}
	case DISCOVER_STEP_RESOLVE_NAMES:
		discover_resolve_names (ctx);
		ctx->step = DISCOVER_STEP_DONE;
		discover_step (task);
		return;
	case DISCOVER_STEP_PROBE: {
		g_autoptr(GBytes) aid = NULL;

		if (ctx->readers[ctx->probe_index] == NULL) {
			ctx->step = DISCOVER_STEP_DONE;
			discover_step (task);
			return;
		}
		ctx->probing = esim_channel_pcsc_new (ctx->readers[ctx->probe_index++]);
		aid = g_bytes_new_static (ESIM_ISDR_AID, sizeof (ESIM_ISDR_AID));
		esim_channel_open_async (ESIM_CHANNEL (ctx->probing), aid, g_task_get_cancellable (task),
		                         discover_probe_open_ready, g_object_ref (task));
		return;
	}
	case DISCOVER_STEP_DONE:
		g_task_return_pointer (task, g_ptr_array_ref (ctx->found),
		                       (GDestroyNotify) g_ptr_array_unref);
		return;
	}
}

void
esimd_pcsc_discover_async (const gchar *const *reader_names, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
	DiscoverContext *ctx = g_new0 (DiscoverContext, 1);

	g_task_set_source_tag (task, esimd_pcsc_discover_async);
	ctx->step = DISCOVER_STEP_LIST_READERS;
	ctx->wanted = reader_names != NULL ? g_strdupv ((gchar **) reader_names) : NULL;
	ctx->found = g_ptr_array_new_with_free_func (g_object_unref);
	g_task_set_task_data (task, ctx, (GDestroyNotify) discover_context_free);
	discover_step (task);
}

#else /* WITH_PCSC */

void
esimd_pcsc_discover_async (const gchar *const *reader_names, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
	g_task_report_new_error (NULL, callback, user_data, esimd_pcsc_discover_async,
	                         G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
	                         "esimd was built without PC/SC support");
}

#endif /* WITH_PCSC */

GPtrArray *
esimd_pcsc_discover_finish (GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, NULL), NULL);
	g_return_val_if_fail (g_async_result_is_tagged (res, esimd_pcsc_discover_async), NULL);
	return g_task_propagate_pointer (G_TASK (res), error);
}
