namespace TinkerServer.Api.Wire;

/// <summary>
/// Metric keys on the wire are exactly "name:reduction". The SDK merges chunked results by splitting each key on
/// ':' — a key without exactly one colon raises inside the SDK, an unknown reduction silently drops the metric.
/// </summary>
public static class MetricKeys
{
    public static readonly IReadOnlySet<string> Reductions =
        new HashSet<string>(StringComparer.Ordinal) { "mean", "sum", "min", "max", "slack", "hash_unordered", "unique" };

    public static bool IsValid(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return false;
        }

        var colon = key.IndexOf(':', StringComparison.Ordinal);
        return colon > 0
            && key.IndexOf(':', colon + 1) < 0
            && Reductions.Contains(key[(colon + 1)..]);
    }

    /// <summary>
    /// The valid metrics in ordinal key order (so encodings are byte-for-byte reproducible); invalid keys are
    /// dropped rather than sent, because one bad key would break the SDK's merge of the whole result.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, double>> Valid(IReadOnlyDictionary<string, double> metrics, out IReadOnlyList<string> dropped)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var valid = new List<KeyValuePair<string, double>>(metrics.Count);
        var invalid = new List<string>();
        foreach (var pair in metrics)
        {
            if (IsValid(pair.Key))
            {
                valid.Add(pair);
            }
            else
            {
                invalid.Add(pair.Key);
            }
        }

        valid.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        invalid.Sort(StringComparer.Ordinal);
        dropped = invalid;
        return valid;
    }
}
