/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GSMA CI certificates esimd knows, found in directories and indexed by
 * their SubjectKeyIdentifier: the value an eUICC lists in EUICCInfo1
 * euiccCiPKIdListForVerification (SGP.22 §4.1.1.1 / §5.7.8).
 *
 * Directories, in the order esimd reads them:
 *   - ESIM_CI_STORE_PACKAGE_DIR: the production root(s) shipped with esimd
 *     (data/ci/, installed to /usr/share/esimd/ci/);
 *   - ESIM_CI_STORE_ADMIN_DIR: administrators' additions (/etc/esimd/ci.d/);
 *   - test CIs (SGP.26, whose private keys are public) only from a directory
 *     a configuration names explicitly.  The store never looks anywhere by
 *     itself: the caller adds every directory.
 * A directory holds PEM (one or more certificates) or DER files named *.pem,
 * *.crt, *.cer or *.der.  A file that does not parse is logged and skipped;
 * a missing directory adds nothing.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ESIM_CI_STORE_PACKAGE_DIR ESIMD_PKGDATADIR "/ci"
#define ESIM_CI_STORE_ADMIN_DIR   SYSCONFDIR "/esimd/ci.d"

#define ESIM_TYPE_CI_STORE (esim_ci_store_get_type ())
G_DECLARE_FINAL_TYPE (EsimCiStore, esim_ci_store, ESIM, CI_STORE, GObject)

EsimCiStore *esim_ci_store_new (void);
/* Loads every certificate file of @path; returns how many CA certificates it
 * added (0 for a missing or empty directory).  FALSE only when @path exists
 * but cannot be listed. */
gboolean     esim_ci_store_add_directory (EsimCiStore *self, const gchar *path, guint *n_added,
                                          GError **error);
/* One certificate, DER or PEM (the first certificate of a PEM text). */
gboolean     esim_ci_store_add_certificate (EsimCiStore *self, GBytes *data, const gchar *origin,
                                            GError **error);
guint        esim_ci_store_get_size (EsimCiStore *self);
/* The DER certificates whose SubjectKeyIdentifier is @key_id_hex (any case),
 * as GBytes; an empty array when none.  Several certificates may share a key
 * (a CI re-issued with the same key). */
GPtrArray   *esim_ci_store_lookup (EsimCiStore *self, const gchar *key_id_hex);
/* Every key identifier the store holds, upper-case hex (for logs and errors). */
GStrv        esim_ci_store_dup_key_ids (EsimCiStore *self);

G_END_DECLS
