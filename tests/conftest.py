"""Import evogan before any test module imports torch, so that torch loads with evogan's
portable CPU arithmetic (`evogan.device.PORTABLE_CPU_MATH`) and the golden runs hold on every
x86-64 CPU."""

import evogan  # noqa: F401
