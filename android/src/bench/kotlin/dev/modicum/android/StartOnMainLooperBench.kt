package dev.modicum.android

import android.app.Application
import android.os.Looper
import dev.modicum.Modicum
import dev.modicum.StartBench
import dev.modicum.start
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config
import java.io.File

/**
 * `Modicum.start(context, config)` on Robolectric's main looper, as `Application.onCreate`
 * calls it: the core, the network and device providers, the upload job and the lifecycle
 * callbacks. Prints figures; asserts nothing (a benchmark, run by android/host/bench.sh).
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34])
class StartOnMainLooperBench {
    @Test
    fun startOnTheMainLooper() {
        check(Looper.getMainLooper().isCurrentThread) { "not on the main looper" }
        val app: Application = RuntimeEnvironment.getApplication()
        val dir = File(app.filesDir, "modicum-start")
        StartBench.leavePending(dir)
        // The first start loads Android classes the later ones find loaded: timed apart.
        StartBench.time("Modicum.start(context, config), main looper") {
            Modicum.start(app, StartBench.config(dir)) ?: error("start failed")
        }
    }
}
