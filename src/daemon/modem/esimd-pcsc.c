/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PC/SC readers for esimd: which to attach, and what happens to them.
 *
 * Readers named by the user are resolved against pcscd's list and returned as
 * they are: a named reader is wanted even while it is empty.  A name that
 * matches no reader (or several) is logged and skipped.  Without names,
 * every reader is probed in turn: a card that opens a logical channel to the
 * ISD-R is an eUICC (the channel is closed again at once); anything else
 * (no card, a plain SIM, a bank card, a reader that fails) is left alone.
 *
 * EsimdPcscWatcher then follows the readers and their cards (see esimd-pcsc.h);
 * what it sees is the pcsc-lite 1.9 client library's account of
 * SCardGetStatusChange (LudovicRousseau/PCSC:src/winscard_clnt.c): a reader
 * name pcscd does not know fails the whole call with SCARD_E_UNKNOWN_READER,
 * so only listed readers are watched and the list is taken again after every
 * change; the high word of dwEventState is the reader's card event counter
 * (the "\\?PnP?\Notification" entry's: the reader events), and fed back as
 * dwCurrentState it makes the call return when it moved, which is how a card
 * pulled and put back between two calls is noticed; SCardCancel from another
 * thread ends a waiting call with SCARD_E_CANCELLED.
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

gboolean
esimd_pcsc_names_select (const gchar *const *reader_names, const gchar *const *readers,
                         const gchar *reader)
{
	g_return_val_if_fail (readers != NULL, FALSE);
	g_return_val_if_fail (reader != NULL, FALSE);

	for (guint i = 0; reader_names != NULL && reader_names[i] != NULL; i++) {
		const gchar *match = discover_match_name ((GStrv) readers, reader_names[i], NULL);

		if (g_strcmp0 (match, reader) == 0)
			return TRUE;
	}
	return FALSE;
}

void
esimd_pcsc_probe_reader_async (const gchar *reader, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
	DiscoverContext *ctx = g_new0 (DiscoverContext, 1);
	const gchar *readers[] = { reader, NULL };

	g_return_if_fail (reader != NULL);

	g_task_set_source_tag (task, esimd_pcsc_probe_reader_async);
	ctx->step = DISCOVER_STEP_PROBE;
	ctx->readers = g_strdupv ((gchar **) readers);
	ctx->found = g_ptr_array_new_with_free_func (g_object_unref);
	g_task_set_task_data (task, ctx, (GDestroyNotify) discover_context_free);
	discover_step (task);
}

EsimChannelPcsc *
esimd_pcsc_probe_reader_finish (GAsyncResult *res, GError **error)
{
	g_autoptr(GPtrArray) found = NULL;

	g_return_val_if_fail (g_task_is_valid (res, NULL), NULL);
	g_return_val_if_fail (g_async_result_is_tagged (res, esimd_pcsc_probe_reader_async), NULL);
	found = g_task_propagate_pointer (G_TASK (res), error);
	if (found == NULL || found->len == 0)
		return NULL;
	return g_object_ref (g_ptr_array_index (found, 0));
}

/* ------------------------------------------------------------------------ */
/* the watcher */

#define WATCHER_PNP_READER "\\\\?PnP?\\Notification"
/* how often to look again for a pcscd that is not there: 1 s, doubling up to 30 s */
#define WATCHER_RETRY_MS     1000
#define WATCHER_RETRY_MAX_MS 30000
/* SCardCancel only ends a call that is waiting: until the thread gets there */
#define WATCHER_CANCEL_MS  50

typedef enum {
	WATCH_EVENT_STARTED,
	WATCH_EVENT_READER_ADDED,
	WATCH_EVENT_CARD_INSERTED,
	WATCH_EVENT_CARD_REMOVED,
} WatchEventKind;

enum {
	SIGNAL_READER_ADDED,
	SIGNAL_CARD_INSERTED,
	SIGNAL_CARD_REMOVED,
	N_SIGNALS,
};

static guint watcher_signals[N_SIGNALS];

struct _EsimdPcscWatcher {
	GObject       parent_instance;
	GMainContext *main_context;     /* where the signals are emitted */
	GThread      *thread;
	GTask        *start_task;       /* main context only */

	GMutex        mutex;            /* guards what follows */
	GCond         cond;
	gboolean      stopping;
	gboolean      exited;
	SCARDCONTEXT  pcsc_context;     /* the thread's; stop() may SCardCancel it */
	gboolean      has_pcsc_context;
	GHashTable   *cards;            /* reader -> GINT_TO_POINTER (holds a card), last look */
};

G_DEFINE_TYPE (EsimdPcscWatcher, esimd_pcsc_watcher, G_TYPE_OBJECT)

typedef struct {
	EsimdPcscWatcher *watcher;
	WatchEventKind    kind;
	gchar            *reader;
} WatchEvent;

/* What the thread knows of one reader. */
typedef struct {
	DWORD    state;    /* the last dwEventState, given back as dwCurrentState */
	gboolean present;  /* a card that answered its reset is in it */
	gboolean quiet;    /* seen in the first look: its state is the baseline */
} WatchedReader;

static void
watch_event_free (gpointer data)
{
	WatchEvent *event = data;

	g_object_unref (event->watcher);
	g_free (event->reader);
	g_free (event);
}

static gboolean
watch_event_dispatch (gpointer data)
{
	WatchEvent *event = data;
	EsimdPcscWatcher *self = event->watcher;

	if (event->kind == WATCH_EVENT_STARTED) {
		g_autoptr(GTask) task = g_steal_pointer (&self->start_task);

		if (task != NULL)
			g_task_return_boolean (task, TRUE);
		return G_SOURCE_REMOVE;
	}
	/* stopping is only set in this context */
	if (self->stopping)
		return G_SOURCE_REMOVE;
	switch (event->kind) {
	case WATCH_EVENT_READER_ADDED:
		g_debug ("PC/SC reader “%s” appeared", event->reader);
		g_signal_emit (self, watcher_signals[SIGNAL_READER_ADDED], 0, event->reader);
		break;
	case WATCH_EVENT_CARD_INSERTED:
		g_debug ("PC/SC reader “%s”: card in", event->reader);
		g_signal_emit (self, watcher_signals[SIGNAL_CARD_INSERTED], 0, event->reader);
		break;
	case WATCH_EVENT_CARD_REMOVED:
	default:
		g_debug ("PC/SC reader “%s”: card out", event->reader);
		g_signal_emit (self, watcher_signals[SIGNAL_CARD_REMOVED], 0, event->reader);
		break;
	}
	return G_SOURCE_REMOVE;
}

/* From the thread: notes an event for watcher_post_all(). */
static void
watcher_post (EsimdPcscWatcher *self, GPtrArray *events, WatchEventKind kind,
              const gchar *reader)
{
	WatchEvent *event = g_new0 (WatchEvent, 1);

	event->watcher = g_object_ref (self);
	event->kind = kind;
	event->reader = g_strdup (reader);
	g_ptr_array_add (events, event);
}

/* Hands the events to the main context, once what has_card() says agrees. */
static void
watcher_post_all (EsimdPcscWatcher *self, GPtrArray *events)
{
	for (guint i = 0; i < events->len; i++)
		g_main_context_invoke_full (self->main_context, G_PRIORITY_DEFAULT,
		                            watch_event_dispatch, g_ptr_array_index (events, i),
		                            watch_event_free);
	/* the main context owns them now */
	g_free (g_ptr_array_steal (events, NULL));
}

static gboolean
watcher_is_stopping (EsimdPcscWatcher *self)
{
	gboolean stopping;

	g_mutex_lock (&self->mutex);
	stopping = self->stopping;
	g_mutex_unlock (&self->mutex);
	return stopping;
}

/* Waits @ms, or less when stop() is called. */
static void
watcher_sleep (EsimdPcscWatcher *self, guint ms)
{
	gint64 end = g_get_monotonic_time () + (gint64) ms * G_TIME_SPAN_MILLISECOND;

	g_mutex_lock (&self->mutex);
	while (!self->stopping && g_cond_wait_until (&self->cond, &self->mutex, end))
		;
	g_mutex_unlock (&self->mutex);
}

static void
watcher_drop_context (EsimdPcscWatcher *self)
{
	g_mutex_lock (&self->mutex);
	if (self->has_pcsc_context)
		SCardReleaseContext (self->pcsc_context);
	self->has_pcsc_context = FALSE;
	g_mutex_unlock (&self->mutex);
}

/* The readers pcscd has now (empty when none); NULL when pcscd cannot be reached. */
static GStrv
watcher_list_readers (EsimdPcscWatcher *self)
{
	g_autoptr(GError) error = NULL;
	SCARDCONTEXT context;
	gboolean has_context;
	GStrv readers;
	LONG rv;

	/* only this thread changes the context: stop() reads it under the mutex */
	g_mutex_lock (&self->mutex);
	has_context = self->has_pcsc_context;
	context = self->pcsc_context;
	g_mutex_unlock (&self->mutex);
	if (!has_context) {
		/* not under the mutex: it talks to pcscd */
		rv = SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &context);
		if (rv != SCARD_S_SUCCESS)
			return NULL;
		g_mutex_lock (&self->mutex);
		self->pcsc_context = context;
		self->has_pcsc_context = TRUE;
		g_mutex_unlock (&self->mutex);
	}
	readers = esim_pcsc_list_readers_in_context (context, &error);
	if (readers == NULL) {
		g_debug ("PC/SC: %s", error->message);
		watcher_drop_context (self);
	}
	return readers;
}

/* Updates what the main context may ask (has_card, dup_readers). */
static void
watcher_publish (EsimdPcscWatcher *self, GHashTable *known)
{
	GHashTableIter iter;
	gpointer key, value;

	g_mutex_lock (&self->mutex);
	g_hash_table_remove_all (self->cards);
	g_hash_table_iter_init (&iter, known);
	while (g_hash_table_iter_next (&iter, &key, &value))
		g_hash_table_insert (self->cards, g_strdup (key),
		                     GINT_TO_POINTER (((WatchedReader *) value)->present));
	g_mutex_unlock (&self->mutex);
}

/* Follows the list of readers: the ones gone take their card with them. */
static void
watcher_sync_readers (EsimdPcscWatcher *self, GHashTable *known, GStrv readers, gboolean first,
                      GPtrArray *events)
{
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init (&iter, known);
	while (g_hash_table_iter_next (&iter, &key, &value)) {
		if (g_strv_contains ((const gchar *const *) readers, key))
			continue;
		if (((WatchedReader *) value)->present)
			watcher_post (self, events, WATCH_EVENT_CARD_REMOVED, key);
		g_debug ("PC/SC reader “%s” is gone", (const gchar *) key);
		g_hash_table_iter_remove (&iter);
	}
	for (guint i = 0; readers[i] != NULL; i++) {
		WatchedReader *watched;

		if (g_hash_table_contains (known, readers[i]))
			continue;
		watched = g_new0 (WatchedReader, 1);
		watched->state = SCARD_STATE_UNAWARE;
		watched->quiet = first;
		g_hash_table_insert (known, g_strdup (readers[i]), watched);
		if (!first)
			watcher_post (self, events, WATCH_EVENT_READER_ADDED, readers[i]);
	}
}

/* Takes in what SCardGetStatusChange said of one reader. */
static void
watcher_note_state (EsimdPcscWatcher *self, const gchar *reader, WatchedReader *watched,
                    DWORD event_state, GPtrArray *events)
{
	gboolean present = (event_state & SCARD_STATE_PRESENT) != 0 &&
	                   (event_state & SCARD_STATE_MUTE) == 0;
	/* the card event counter moved while a card was in before and after: another card */
	gboolean swapped = watched->present && present &&
	                   (watched->state & 0xFFFF0000) != 0 &&
	                   (watched->state & 0xFFFF0000) != (event_state & 0xFFFF0000);

	watched->state = event_state & ~SCARD_STATE_CHANGED;
	if (watched->quiet) {
		watched->quiet = FALSE;
		watched->present = present;
		return;
	}
	if (watched->present && (!present || swapped))
		watcher_post (self, events, WATCH_EVENT_CARD_REMOVED, reader);
	if (present && (!watched->present || swapped))
		watcher_post (self, events, WATCH_EVENT_CARD_INSERTED, reader);
	watched->present = present;
}

/* One SCardGetStatusChange over @readers and the PnP pseudo-reader; FALSE
 * when pcscd failed (the context is dropped then). */
static gboolean
watcher_wait (EsimdPcscWatcher *self, GHashTable *known, GStrv readers, DWORD *pnp_state,
              GPtrArray *events)
{
	guint n = g_strv_length (readers);
	g_autofree SCARD_READERSTATE *states = NULL;
	SCARDCONTEXT context;
	LONG rv;

	/* pcsc-lite refuses more entries than it has reader slots */
	if (n >= PCSCLITE_MAX_READERS_CONTEXTS) {
		g_debug ("PC/SC: watching the first %d of %u readers",
		         PCSCLITE_MAX_READERS_CONTEXTS - 1, n);
		n = PCSCLITE_MAX_READERS_CONTEXTS - 1;
	}
	states = g_new0 (SCARD_READERSTATE, n + 1);
	for (guint i = 0; i < n; i++) {
		WatchedReader *watched = g_hash_table_lookup (known, readers[i]);

		states[i].szReader = readers[i];
		states[i].dwCurrentState = watched->state;
	}
	states[n].szReader = WATCHER_PNP_READER;
	states[n].dwCurrentState = *pnp_state;

	g_mutex_lock (&self->mutex);
	context = self->pcsc_context;
	g_mutex_unlock (&self->mutex);
	rv = SCardGetStatusChange (context, INFINITE, states, n + 1);
	switch (rv) {
	case SCARD_S_SUCCESS:
		for (guint i = 0; i < n; i++) {
			if (states[i].dwEventState & SCARD_STATE_CHANGED)
				watcher_note_state (self, readers[i],
				                    g_hash_table_lookup (known, readers[i]),
				                    states[i].dwEventState, events);
		}
		*pnp_state = states[n].dwEventState & ~SCARD_STATE_CHANGED;
		return TRUE;
	case SCARD_E_TIMEOUT:
	case SCARD_E_CANCELLED:
	case SCARD_E_UNKNOWN_READER:
		/* look again (a reader went away between the list and the wait) */
		return TRUE;
	default:
		/* pcscd went away, or worse: start again with a fresh context */
		g_debug ("PC/SC: SCardGetStatusChange failed (error 0x%08X)", (guint) rv);
		watcher_drop_context (self);
		return FALSE;
	}
}

static gpointer
watcher_thread (gpointer user_data)
{
	g_autoptr(EsimdPcscWatcher) self = user_data;
	g_autoptr(GHashTable) known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
	                                                     g_free);
	g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (watch_event_free);
	DWORD pnp_state = SCARD_STATE_UNAWARE;
	gboolean first = TRUE;
	guint retry_ms = WATCHER_RETRY_MS;

	while (!watcher_is_stopping (self)) {
		g_auto(GStrv) readers = watcher_list_readers (self);
		gboolean ok = readers != NULL;

		/* no pcscd: no readers, no cards */
		if (readers == NULL)
			readers = g_new0 (gchar *, 1);
		watcher_sync_readers (self, known, readers, first, events);
		if (ok)
			ok = watcher_wait (self, known, readers, &pnp_state, events);
		watcher_publish (self, known);
		if (first)
			watcher_post (self, events, WATCH_EVENT_STARTED, NULL);
		first = FALSE;
		watcher_post_all (self, events);
		if (ok) {
			retry_ms = WATCHER_RETRY_MS;
			continue;
		}
		watcher_sleep (self, retry_ms);
		retry_ms = MIN (retry_ms * 2, WATCHER_RETRY_MAX_MS);
	}
	watcher_drop_context (self);
	g_mutex_lock (&self->mutex);
	self->exited = TRUE;
	g_cond_broadcast (&self->cond);
	g_mutex_unlock (&self->mutex);
	return NULL;
}

EsimdPcscWatcher *
esimd_pcsc_watcher_new (void)
{
	return g_object_new (ESIMD_TYPE_PCSC_WATCHER, NULL);
}

void
esimd_pcsc_watcher_start_async (EsimdPcscWatcher *self, GAsyncReadyCallback callback,
                                gpointer user_data)
{
	g_return_if_fail (ESIMD_IS_PCSC_WATCHER (self));
	g_return_if_fail (self->thread == NULL && self->start_task == NULL);

	self->start_task = g_task_new (self, NULL, callback, user_data);
	g_task_set_source_tag (self->start_task, esimd_pcsc_watcher_start_async);
	/* the thread holds a reference until it ends: stop() ends it */
	self->thread = g_thread_new ("esimd-pcsc", watcher_thread, g_object_ref (self));
}

void
esimd_pcsc_watcher_start_finish (EsimdPcscWatcher *self, GAsyncResult *res)
{
	g_return_if_fail (g_task_is_valid (res, self));
	g_task_propagate_boolean (G_TASK (res), NULL);
}

void
esimd_pcsc_watcher_stop (EsimdPcscWatcher *self)
{
	g_autoptr(GTask) start_task = NULL;

	g_return_if_fail (ESIMD_IS_PCSC_WATCHER (self));

	if (self->thread == NULL)
		return;
	g_mutex_lock (&self->mutex);
	self->stopping = TRUE;
	g_cond_broadcast (&self->cond);
	while (!self->exited) {
		gint64 again = g_get_monotonic_time () +
		               WATCHER_CANCEL_MS * G_TIME_SPAN_MILLISECOND;

		if (self->has_pcsc_context)
			SCardCancel (self->pcsc_context);
		g_cond_wait_until (&self->cond, &self->mutex, again);
	}
	g_mutex_unlock (&self->mutex);
	g_thread_join (g_steal_pointer (&self->thread));
	start_task = g_steal_pointer (&self->start_task);
	if (start_task != NULL)
		g_task_return_boolean (start_task, TRUE);
}

GStrv
esimd_pcsc_watcher_dup_readers (EsimdPcscWatcher *self)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
	GHashTableIter iter;
	gpointer key;

	g_return_val_if_fail (ESIMD_IS_PCSC_WATCHER (self), NULL);

	g_mutex_lock (&self->mutex);
	g_hash_table_iter_init (&iter, self->cards);
	while (g_hash_table_iter_next (&iter, &key, NULL))
		g_strv_builder_add (builder, key);
	g_mutex_unlock (&self->mutex);
	return g_strv_builder_end (builder);
}

gboolean
esimd_pcsc_watcher_has_card (EsimdPcscWatcher *self, const gchar *reader)
{
	gboolean present;

	g_return_val_if_fail (ESIMD_IS_PCSC_WATCHER (self), FALSE);

	g_mutex_lock (&self->mutex);
	present = GPOINTER_TO_INT (g_hash_table_lookup (self->cards, reader));
	g_mutex_unlock (&self->mutex);
	return present;
}

static void
esimd_pcsc_watcher_finalize (GObject *object)
{
	EsimdPcscWatcher *self = ESIMD_PCSC_WATCHER (object);

	/* the thread holds a reference while it runs */
	g_warn_if_fail (self->thread == NULL);
	g_hash_table_unref (self->cards);
	g_main_context_unref (self->main_context);
	g_mutex_clear (&self->mutex);
	g_cond_clear (&self->cond);
	G_OBJECT_CLASS (esimd_pcsc_watcher_parent_class)->finalize (object);
}

static void
esimd_pcsc_watcher_class_init (EsimdPcscWatcherClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);

	object_class->finalize = esimd_pcsc_watcher_finalize;

	watcher_signals[SIGNAL_READER_ADDED] =
		g_signal_new ("reader-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
		              NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
	watcher_signals[SIGNAL_CARD_INSERTED] =
		g_signal_new ("card-inserted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
		              NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
	watcher_signals[SIGNAL_CARD_REMOVED] =
		g_signal_new ("card-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
		              NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
esimd_pcsc_watcher_init (EsimdPcscWatcher *self)
{
	self->main_context = g_main_context_ref_thread_default ();
	g_mutex_init (&self->mutex);
	g_cond_init (&self->cond);
	self->cards = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
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
