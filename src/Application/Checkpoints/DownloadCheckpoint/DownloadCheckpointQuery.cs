using System.Globalization;
using Mediator;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Application.Common;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Checkpoints.DownloadCheckpoint;

/// <summary>The target of a signed download URL: authorised by its signature, not by an API key.</summary>
public sealed record DownloadCheckpointQuery(string TrainingRunId, string Kind, string Name, string? Expires, string? Signature)
    : IQuery<CheckpointDownload>;

/// <summary>An open archive; the caller streams and disposes it.</summary>
public sealed record CheckpointDownload(ArtifactContent Content, string FileName, string ContentType);

public sealed class DownloadCheckpointQueryHandler(
    CheckpointReadAccess access,
    IArtifactStorage storage,
    IDownloadUrlSigner signer,
    TimeProvider time) : IQueryHandler<DownloadCheckpointQuery, CheckpointDownload>
{
    public async ValueTask<CheckpointDownload> Handle(DownloadCheckpointQuery query, CancellationToken cancellationToken)
    {
        var path = CheckpointPath.FromRoute(TrainingRunId.Parse(query.TrainingRunId), $"{query.Kind}/{query.Name}", null);
        if (!long.TryParse(query.Expires, NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
        {
            throw new ForbiddenException("The download URL is not valid: missing or malformed expiry.");
        }

        switch (signer.Check(path, expires, query.Signature, time.GetUtcNow()))
        {
            case DownloadUrlValidity.InvalidSignature:
                throw new ForbiddenException("The download URL is not valid: bad signature.");
            case DownloadUrlValidity.Expired:
                throw new ForbiddenException("The download URL has expired; ask for a new archive URL.");
        }

        await access.GetReadableAsync(path, anyCaller: true, cancellationToken);
        var content = await storage.OpenReadAsync(path, cancellationToken)
            ?? throw new NotFoundException($"The archive of checkpoint {path} is missing.");
        var run = path.TrainingRunId.Value.Replace(':', '_');
        return content.Shape == ArtifactShape.File
            ? new CheckpointDownload(content, $"{run}_{path.Type.ToKind()}_{path.Name}.tar.gz", "application/gzip")
            : new CheckpointDownload(content, $"{run}_{path.Type.ToKind()}_{path.Name}.tar", "application/x-tar");
    }
}
