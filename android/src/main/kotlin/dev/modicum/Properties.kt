package dev.modicum

import dev.modicum.ffi.PropertyValue

/** A place, in degrees (WGS 84). Always of data class `location`. */
data class Location(
    val latitude: Double,
    val longitude: Double,
)

/**
 * Converts Kotlin values to the core's typed values. Integers of every width become `Int`,
 * floating point becomes `Double`, and text (or an enum's name) becomes `Text`; anything else
 * is refused here rather than silently stringified, so a caller never ships `toString()` of
 * an object it did not mean to send.
 */
internal fun Map<String, Any>.toPropertyValues(): Map<String, PropertyValue> = mapValues { (key, value) -> value.toPropertyValue(key) }

private fun Any.toPropertyValue(key: String): PropertyValue =
    when (this) {
        is Boolean -> PropertyValue.Bool(this)
        is Byte, is Short, is Int, is Long -> PropertyValue.Int((this as Number).toLong())
        is Float, is Double -> PropertyValue.Double((this as Number).toDouble())
        is CharSequence -> PropertyValue.Text(toString())
        is Enum<*> -> PropertyValue.Text(name)
        is Location -> PropertyValue.Location(latitude, longitude)
        else -> throw IllegalArgumentException(
            "property `$key` has unsupported type ${this::class.java.name}; use Boolean, a number, text, an enum or Location",
        )
    }
