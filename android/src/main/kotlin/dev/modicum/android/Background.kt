package dev.modicum.android

import java.util.concurrent.Executors
import java.util.concurrent.ScheduledExecutorService

/**
 * One daemon thread for work that crosses the FFI on behalf of an OS callback (network changes,
 * sensor readings): each JNA call costs tens of microseconds, which the main thread and the
 * framework's callback threads should not pay. Daemon, so it never keeps a process alive.
 */
internal fun backgroundThread(name: String): ScheduledExecutorService =
    Executors.newSingleThreadScheduledExecutor { task -> Thread(task, name).apply { isDaemon = true } }
