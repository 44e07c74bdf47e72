package dev.modicum

import org.json.JSONArray
import org.json.JSONObject

/** Android's org.json has no `keySet`; `keys` is in every version. */
internal fun JSONObject.keyList(): List<String> = keys().asSequence().toList()

/** JSON as plain Kotlin maps, lists and values, so decoded data and parsed JSON compare alike. */
internal fun plainJson(v: Any?): Any? =
    when (v) {
        is JSONObject -> v.keyList().associateWith { plainJson(v.get(it)) }
        is JSONArray -> List(v.length()) { plainJson(v.get(it)) }
        JSONObject.NULL -> null
        else -> v
    }

/** Deep equality of plain JSON values; numbers by value, so 420 and 420.0 agree as they do in JSON. */
internal fun sameJson(
    a: Any?,
    b: Any?,
): Boolean =
    when {
        a is Map<*, *> && b is Map<*, *> -> a.keys == b.keys && a.keys.all { sameJson(a[it], b[it]) }
        a is List<*> && b is List<*> -> a.size == b.size && a.indices.all { sameJson(a[it], b[it]) }
        a is Number && b is Number -> a.toDouble() == b.toDouble()
        else -> a == b
    }
