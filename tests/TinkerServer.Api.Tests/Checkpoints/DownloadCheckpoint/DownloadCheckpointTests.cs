using System.Formats.Tar;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using TinkerServer.Api.Endpoints;
using TinkerServer.Api.Tests.Infrastructure;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Api.Tests.Checkpoints.DownloadCheckpoint;

public sealed class DownloadCheckpointTests(TinkerApiFactory factory) : IClassFixture<TinkerApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
    private readonly Seeder _seed = new(factory);

    [Theory]
    [InlineData(CheckpointType.Training)]
    [InlineData(CheckpointType.Sampler)]
    public async Task Archive_redirects_to_a_signed_url_that_serves_the_exact_bytes(CheckpointType type)
    {
        var run = await _seed.RunAsync($"{Guid.NewGuid()}:train:0");
        var bytes = await _seed.CompletedAsync(run, type, "final", size: 300_000);

        var redirect = await _client.GetAsync(Routes.Archive(run, $"{type.ToKind()}/final"));

        redirect.StatusCode.Should().Be(HttpStatusCode.Redirect);
        var location = redirect.Headers.Location!;
        location.IsAbsoluteUri.Should().BeTrue();
        location.Query.Should().Contain("sig=").And.Contain("expires=");
        redirect.Content.Headers.Expires.Should().BeCloseTo(factory.Time.GetUtcNow().AddMinutes(15), TimeSpan.FromSeconds(2));

        using var anonymous = factory.CreateClient(); // the SDK downloads with plain urllib and no API key
        var download = await anonymous.GetAsync(location);
        download.StatusCode.Should().Be(HttpStatusCode.OK);
        download.Content.Headers.ContentLength.Should().Be(bytes.Length);
        download.Content.Headers.ContentDisposition!.FileNameStar.Should().EndWith($"_{type.ToKind()}_final.tar.gz");
        SHA256.HashData(await download.Content.ReadAsByteArrayAsync()).Should().Equal(SHA256.HashData(bytes));
    }

    [Fact]
    public async Task Download_supports_head_and_byte_ranges()
    {
        var run = await _seed.RunAsync();
        var bytes = await _seed.CompletedAsync(run, CheckpointType.Training, "ranged", size: 10_000);
        var location = await ArchiveLocationAsync(run, "weights/ranged");

        using var head = new HttpRequestMessage(HttpMethod.Head, location);
        var headResponse = await _client.SendAsync(head);
        headResponse.StatusCode.Should().Be(HttpStatusCode.OK);
        headResponse.Content.Headers.ContentLength.Should().Be(bytes.Length);
        headResponse.Headers.AcceptRanges.Should().Contain("bytes");
        (await headResponse.Content.ReadAsByteArrayAsync()).Should().BeEmpty();

        using var ranged = new HttpRequestMessage(HttpMethod.Get, location);
        ranged.Headers.Range = new RangeHeaderValue(1000, 1999);
        var partial = await _client.SendAsync(ranged);
        partial.StatusCode.Should().Be(HttpStatusCode.PartialContent);
        (await partial.Content.ReadAsByteArrayAsync()).Should().Equal(bytes[1000..2000]);
        partial.Content.Headers.ContentRange!.Length.Should().Be(bytes.Length);
    }

    [Fact]
    public async Task A_whole_download_larger_than_a_chunk_arrives_exactly_with_its_headers()
    {
        var run = await _seed.RunAsync();
        var size = (ArchiveStreamResult.ChunkSize * 2) + (ArchiveStreamResult.ChunkSize / 2) + 7;
        var bytes = await _seed.CompletedAsync(run, CheckpointType.Training, "big", size);
        var location = await ArchiveLocationAsync(run, "weights/big");

        var download = await _client.GetAsync(location);

        download.StatusCode.Should().Be(HttpStatusCode.OK);
        download.Content.Headers.ContentLength.Should().Be(size);
        download.Content.Headers.ContentType!.MediaType.Should().Be("application/gzip");
        download.Content.Headers.ContentDisposition!.DispositionType.Should().Be("attachment");
        download.Content.Headers.ContentDisposition.FileNameStar.Should().EndWith("_weights_big.tar.gz");
        download.Content.Headers.LastModified.Should().NotBeNull();
        download.Headers.AcceptRanges.Should().Contain("bytes");
        (await download.Content.ReadAsByteArrayAsync()).Should().Equal(bytes);
    }

    [Fact]
    public async Task Conditional_requests_are_still_answered_by_the_validators()
    {
        var run = await _seed.RunAsync();
        await _seed.CompletedAsync(run, CheckpointType.Training, "cached", size: 5000);
        var location = await ArchiveLocationAsync(run, "weights/cached");
        var first = await _client.GetAsync(location);
        var lastModified = first.Content.Headers.LastModified!.Value;

        using var conditional = new HttpRequestMessage(HttpMethod.Get, location);
        conditional.Headers.IfModifiedSince = lastModified;
        var notModified = await _client.SendAsync(conditional);

        notModified.StatusCode.Should().Be(HttpStatusCode.NotModified);
        (await notModified.Content.ReadAsByteArrayAsync()).Should().BeEmpty();
    }

    [Theory]
    [InlineData("GET", null, null, true)]
    [InlineData("HEAD", null, null, false)]
    [InlineData("GET", "Range", "bytes=0-9", false)]
    [InlineData("GET", "If-Range", "\"x\"", false)]
    [InlineData("GET", "If-Match", "*", false)]
    [InlineData("GET", "If-None-Match", "\"x\"", false)]
    [InlineData("GET", "If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT", false)]
    [InlineData("GET", "If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:37 GMT", false)]
    public void Only_a_plain_get_takes_the_direct_streaming_path(string method, string? header, string? value, bool direct)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        if (header is not null)
        {
            context.Request.Headers[header] = value;
        }

        ArchiveStreamResult.IsPlainWholeBodyGet(context.Request).Should().Be(direct);
    }

    [Fact]
    public async Task Tampered_or_expired_signatures_are_refused()
    {
        var run = await _seed.RunAsync();
        await _seed.CompletedAsync(run, CheckpointType.Sampler, "signed");
        var location = (await ArchiveLocationAsync(run, "sampler_weights/signed")).ToString();

        var sig = location[(location.IndexOf("sig=", StringComparison.Ordinal) + 4)..];
        var flipped = location.Replace("sig=" + sig, "sig=" + (sig[0] == 'A' ? 'B' : 'A') + sig[1..], StringComparison.Ordinal);
        (await _client.GetAsync(flipped)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await _client.GetAsync(location.Replace("sampler_weights/signed", "weights/signed", StringComparison.Ordinal)))
            .StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await _client.GetAsync(location[..location.IndexOf('?', StringComparison.Ordinal)])).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var expires = location[(location.IndexOf("expires=", StringComparison.Ordinal) + 8)..location.IndexOf('&', StringComparison.Ordinal)];
        (await _client.GetAsync(location.Replace("expires=" + expires, "expires=" + (long.Parse(expires) + 3600), StringComparison.Ordinal)))
            .StatusCode.Should().Be(HttpStatusCode.Forbidden);

        (await _client.GetAsync(location)).StatusCode.Should().Be(HttpStatusCode.OK);
        factory.Time.Advance(TimeSpan.FromMinutes(16));
        var expired = await _client.GetAsync(location);
        expired.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await expired.DetailAsync()).Should().Contain("expired");
    }

    [Fact]
    public async Task A_legacy_bare_name_means_a_sampler_checkpoint()
    {
        var run = await _seed.RunAsync();
        var bytes = await _seed.CompletedAsync(run, CheckpointType.Sampler, "legacy");

        var redirect = await _client.GetAsync(Routes.Archive(run, "legacy"));

        redirect.StatusCode.Should().Be(HttpStatusCode.Redirect);
        redirect.Headers.Location!.AbsolutePath.Should().Contain("/sampler_weights/legacy/download");
        (await (await _client.GetAsync(redirect.Headers.Location)).Content.ReadAsByteArrayAsync()).Should().Equal(bytes);
    }

    [Fact]
    public async Task A_directory_shaped_artifact_downloads_as_a_tar_stream()
    {
        var run = await _seed.RunAsync();
        await _seed.CompletedAsync(run, CheckpointType.Training, "dir");
        var file = Directory.EnumerateFiles(factory.CheckpointRoot, "dir.tar.gz", SearchOption.AllDirectories)
            .Single(f => f.Contains(run.Value, StringComparison.Ordinal));
        File.Delete(file);
        Directory.CreateDirectory(Path.Combine(file, "checkpoint_0"));
        await File.WriteAllBytesAsync(Path.Combine(file, "checkpoint_0", "lora_weights"), RandomNumberGenerator.GetBytes(5000));

        var download = await _client.GetAsync(await ArchiveLocationAsync(run, "weights/dir"));

        download.StatusCode.Should().Be(HttpStatusCode.OK);
        download.Content.Headers.ContentType!.MediaType.Should().Be("application/x-tar");
        var body = await download.Content.ReadAsByteArrayAsync();
        download.Content.Headers.ContentLength.Should().Be(body.Length);
        var names = new List<string>();
        using var reader = new TarReader(new MemoryStream(body));
        while (reader.GetNextEntry() is { } entry)
        {
            names.Add(entry.Name.TrimEnd('/'));
        }

        names.Should().Contain("checkpoint_0/lora_weights");
    }

    [Fact]
    public async Task Pending_is_425_and_missing_is_404()
    {
        var run = await _seed.RunAsync();
        await _seed.PendingAsync(run, CheckpointType.Sampler, "busy");

        (await _client.GetAsync(Routes.Archive(run, "sampler_weights/busy"))).StatusCode.Should().Be((HttpStatusCode)425);
        (await _client.GetAsync(Routes.Archive(run, "sampler_weights/none"))).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await _client.GetAsync(Routes.Archive(run, "bogus/none"))).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    private async Task<Uri> ArchiveLocationAsync(TrainingRunId run, string checkpointId)
    {
        var redirect = await _client.GetAsync(Routes.Archive(run, checkpointId));
        redirect.StatusCode.Should().Be(HttpStatusCode.Redirect);
        return redirect.Headers.Location!;
    }
}
