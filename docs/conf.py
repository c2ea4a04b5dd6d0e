# SPDX-License-Identifier: GPL-2.0-or-later
# Sphinx configuration for kvmage's manual (optional: `ninja -C build docs`
# when sphinx-build is installed; Sphinx is not a build dependency).
project = 'kvmage'
copyright = 'kvmage contributors'
author = 'kvmage contributors'
master_doc = 'index'
exclude_patterns = ['meson.build']
html_theme = 'alabaster'
