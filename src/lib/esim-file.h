/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files esimd is given (software eUICC state, configuration): read only when
 * they are regular files of a sane size, never block on a FIFO or read a
 * device, write through symbolic links to the real file, replace it
 * atomically without leaving private data in temporaries, and tell two paths
 * to one file apart by device and inode.
 *
 * Errors are G_IO_ERROR (NOT_FOUND, NOT_REGULAR_FILE, MESSAGE_TOO_LARGE,
 * TOO_MANY_LINKS, or what errno maps to); their messages do not repeat the
 * path, so that callers can put it where their own message wants it.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What makes a file the same file whatever path leads to it. */
typedef struct {
	guint64 device;
	guint64 inode;
} EsimFileId;

gboolean  esim_file_id_equal (const EsimFileId *a, const EsimFileId *b);

/* The real file behind @path: an absolute path with every symbolic link
 * followed (the last component too).  That file need not exist yet, but its
 * directory must.  A link loop is G_IO_ERROR_TOO_MANY_LINKS. */
gchar    *esim_file_resolve (const gchar *path, GError **error);

/* Reads @path if it is a regular file of at most @max_size bytes.  The file
 * is opened without blocking (a FIFO with no writer does not hang) and
 * checked on the opened descriptor, so it cannot be swapped in between.  With
 * @no_follow a symbolic link as the last component is refused.  @contents is
 * NUL-terminated; @id (nullable) gets the file's identity, @n_links (nullable)
 * how many names it has. */
gboolean  esim_file_read_regular (const gchar *path, gsize max_size, gboolean no_follow,
                                  gchar **contents, gsize *length, EsimFileId *id,
                                  guint *n_links, GError **error);

/* Replaces the file @path (give it resolved: a symbolic link there would be
 * replaced, not written through) by @data, mode 0600, atomically and durably:
 * the data go to an unnamed file (O_TMPFILE) where the file system has them,
 * else to "@path.esimd-XXXXXX", are synced, then renamed over @path.  A crash
 * leaves the old or the new file, and at worst a named temporary that
 * esim_file_remove_temporaries() deletes.  @id (nullable) gets the new file's
 * identity. */
gboolean  esim_file_replace (const gchar *path, const gchar *data, gsize len, EsimFileId *id,
                             GError **error);

/* Deletes the temporaries esim_file_replace() may have left next to @path
 * (a process killed between naming one and renaming it): regular files named
 * "@path.esimd-XXXXXX" owned by this user.  Returns how many were deleted. */
guint     esim_file_remove_temporaries (const gchar *path);

G_END_DECLS
