/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The root of esimd's bus tree: the ObjectManager and the Manager interface
 * at /org/freedesktop/Esimd1, and the list of eUICCs.
 */
#pragma once

#include <gio/gio.h>

#include "esimd-config.h"
#include "esimd-store.h"

G_BEGIN_DECLS

#define ESIMD_BUS_NAME  "org.freedesktop.Esimd1"
#define ESIMD_ROOT_PATH "/org/freedesktop/Esimd1"

#define ESIMD_TYPE_MANAGER (esimd_manager_get_type ())
G_DECLARE_FINAL_TYPE (EsimdManager, esimd_manager, ESIMD, MANAGER, GObject)

/* @config must outlive the manager.  @use_polkit: FALSE on a session bus. */
EsimdManager *esimd_manager_new (GDBusConnection *connection, const EsimdConfig *config,
                                 gboolean use_polkit);

/* The state directory (it must outlive the manager), given before any eUICC
 * is added: with it the eUICCs deliver their notifications. */
void          esimd_manager_set_store (EsimdManager *self, EsimdStore *store);

/* Loads a software eUICC (created when missing).  A file that cannot be used
 * is logged and skipped (and never written); FALSE then. */
gboolean      esimd_manager_add_virtual_euicc (EsimdManager *self, const gchar *path);

/* PC/SC readers to attach: @readers by name (NULL or empty: none named), or
 * with @auto_detect every reader whose card has an ISD-R.  A reader that
 * cannot be used is logged and skipped.  Once started, the readers and their
 * cards are followed (EsimdPcscWatcher): a named reader plugged in later is
 * attached, with @auto_detect a card put in is probed, and the eUICCs show
 * their cards taken out and put back. */
void          esimd_manager_set_pcsc (EsimdManager *self, const gchar *const *readers,
                                      gboolean auto_detect);

/* Follow ModemManager once started: its modems' eUICCs come and go at runtime. */
void          esimd_manager_watch_modems (EsimdManager *self);

/* Exports the root object, probes every eUICC and exports them. */
void          esimd_manager_start_async (EsimdManager *self, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
gboolean      esimd_manager_start_finish (EsimdManager *self, GAsyncResult *res, GError **error);

/* Closes every eUICC's channel. */
void          esimd_manager_stop_async (EsimdManager *self, GAsyncReadyCallback callback,
                                        gpointer user_data);
gboolean      esimd_manager_stop_finish (EsimdManager *self, GAsyncResult *res, GError **error);

guint         esimd_manager_get_n_euiccs (EsimdManager *self);

/* Polls every eIM of every eUICC (Manager.Poll(), esimd --poll-once), as
 * esimd's own requests.  @polled: the eUICCs with an eIM, @failed: those
 * whose poll failed.  Fails with ESIMD_ERROR_NOT_FOUND when no eUICC has an
 * eIM, else with the first failure. */
void          esimd_manager_poll_all_async (EsimdManager *self, GAsyncReadyCallback callback,
                                            gpointer user_data);
gboolean      esimd_manager_poll_all_finish (EsimdManager *self, GAsyncResult *res,
                                             guint *polled, guint *failed, GError **error);

G_END_DECLS
