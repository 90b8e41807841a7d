using System.Text.Json;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Sessions;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Infrastructure.Persistence;

internal sealed class TrainingRunIdConverter() : ValueConverter<TrainingRunId, string>(v => v.Value, v => TrainingRunId.Parse(v));

internal sealed class SessionIdConverter() : ValueConverter<SessionId, string>(v => v.Value, v => SessionId.Parse(v));

internal sealed class CheckpointNameConverter() : ValueConverter<CheckpointName, string>(v => v.Value, v => CheckpointName.Parse(v));

/// <summary>DateTimeOffset as UTC ticks, so SQLite orders and compares instants as plain integers.</summary>
internal sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));

/// <summary>Npgsql writes timestamptz only from offset-0 values.</summary>
internal sealed class UtcDateTimeOffsetConverter() : ValueConverter<DateTimeOffset, DateTimeOffset>(v => v.ToUniversalTime(), v => v.ToUniversalTime());

/// <summary>JSON text columns for small string maps and lists (metadata, tags).</summary>
internal static class JsonColumn
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General);

    public static readonly ValueConverter<IReadOnlyDictionary<string, string>, string> DictionaryConverter =
        new(v => SerializeDictionary(v), v => DeserializeDictionary(v));

    public static readonly ValueComparer<IReadOnlyDictionary<string, string>> DictionaryComparer =
        new((a, b) => DictionaryEquals(a, b), v => DictionaryHash(v), v => new Dictionary<string, string>(v));

    public static readonly ValueConverter<IReadOnlyList<string>, string> ListConverter =
        new(v => SerializeList(v), v => DeserializeList(v));

    public static readonly ValueComparer<IReadOnlyList<string>> ListComparer =
        new((a, b) => ListEquals(a, b), v => ListHash(v), v => v.ToArray());

    private static string SerializeDictionary(IReadOnlyDictionary<string, string> value) => JsonSerializer.Serialize(value, Options);

    private static Dictionary<string, string> DeserializeDictionary(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(json, Options) ?? [];

    private static string SerializeList(IReadOnlyList<string> value) => JsonSerializer.Serialize(value, Options);

    private static string[] DeserializeList(string json) => JsonSerializer.Deserialize<string[]>(json, Options) ?? [];

    private static bool DictionaryEquals(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a is null || b is null || a.Count != b.Count)
        {
            return false;
        }

        foreach (var (key, value) in a)
        {
            if (!b.TryGetValue(key, out var other) || !string.Equals(value, other, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static int DictionaryHash(IReadOnlyDictionary<string, string> value)
    {
        // Order-independent, like the equality above.
        var hash = 0;
        foreach (var (key, item) in value)
        {
            hash ^= HashCode.Combine(StringComparer.Ordinal.GetHashCode(key), StringComparer.Ordinal.GetHashCode(item));
        }

        return hash;
    }

    private static bool ListEquals(IReadOnlyList<string>? a, IReadOnlyList<string>? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && a.SequenceEqual(b, StringComparer.Ordinal));

    private static int ListHash(IReadOnlyList<string> value)
    {
        var hash = new HashCode();
        foreach (var item in value)
        {
            hash.Add(item, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }
}
