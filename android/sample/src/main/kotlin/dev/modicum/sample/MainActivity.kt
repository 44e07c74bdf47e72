package dev.modicum.sample

import android.app.Activity
import android.os.Bundle
import android.widget.Button
import android.widget.LinearLayout
import android.widget.Switch
import android.widget.TextView
import dev.modicum.ConsentCategory

/** A consent switch, an event, and a flush: the whole integration an app screen needs. */
class MainActivity : Activity() {
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
                // Flushing waits for the disk: off the main thread.
                setOnClickListener {
                    Thread {
                        val flushed = modicum?.flush() == true
                        runOnUiThread { status.text = if (flushed) "flushed" else "not flushed (see the log)" }
                    }.start()
                }
            }
        setContentView(
            LinearLayout(this).apply {
                orientation = LinearLayout.VERTICAL
                listOf(consent, record, flush, status).forEach(::addView)
            },
        )
    }
}
