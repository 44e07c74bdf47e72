package dev.modicum.sample

import android.app.Activity
import android.os.Bundle
import android.widget.Button
import android.widget.LinearLayout
import android.widget.Switch
import android.widget.TextView
import dev.modicum.ConsentCategory
import kotlinx.coroutines.MainScope
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch

/** A consent switch, an event, a flush and an erasure: the whole integration an app screen needs. */
class MainActivity : Activity() {
    /** The screen's coroutines: on the main thread, cancelled with the screen. */
    private val scope = MainScope()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val modicum = (application as SampleApplication).modicum
        val status = TextView(this)
        val consent =
            Switch(this).apply {
                text = "Share usage analytics"
                isChecked = modicum?.permittedCategories?.contains(ConsentCategory.ANALYTICS) == true
                // Applies at once; should saving it fail, the app's onError hears, never this screen.
                setOnCheckedChangeListener { _, granted -> modicum?.setConsent(ConsentCategory.ANALYTICS, granted) }
            }
        val record =
            Button(this).apply {
                text = "Record a tap"
                // Never blocks and never throws: safe here on the main thread.
                setOnClickListener {
                    status.text =
                        if (modicum?.record("tap", mapOf("screen" to "main")) == true) "recorded" else "not recorded (no consent)"
                }
            }
        val flush =
            Button(this).apply {
                text = "Flush"
                // flush() suspends while Modicum waits for the disk on Dispatchers.IO.
                setOnClickListener {
                    scope.launch {
                        val flushed = modicum?.flush() == true
                        status.text = if (flushed) "flushed" else "not flushed (see the log)"
                    }
                }
            }
        val delete =
            Button(this).apply {
                text = "Delete my data"
                // Suspends until the erasure is on disk, so the screen tells the truth.
                setOnClickListener {
                    scope.launch {
                        val deleted = modicum?.deleteAll() == true
                        consent.isChecked = false
                        status.text = if (deleted) "deleted" else "not deleted: try again"
                    }
                }
            }
        setContentView(
            LinearLayout(this).apply {
                orientation = LinearLayout.VERTICAL
                listOf(consent, record, flush, delete, status).forEach(::addView)
            },
        )
    }

    override fun onDestroy() {
        scope.cancel()
        super.onDestroy()
    }
}
