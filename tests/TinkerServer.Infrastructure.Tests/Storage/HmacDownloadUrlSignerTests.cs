using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Infrastructure.Configuration;
using TinkerServer.Infrastructure.Storage;

namespace TinkerServer.Infrastructure.Tests.Storage;

public sealed class HmacDownloadUrlSignerTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private static readonly CheckpointPath Path1 = TempStorageRoot.Sampler("3f2c:train:0", "final");

    private readonly TempStorageRoot _temp = new();
    private readonly FakeTimeProvider _time = new(Now);
    private readonly HmacDownloadUrlSigner _signer;

    public HmacDownloadUrlSignerTests() =>
        _signer = new HmacDownloadUrlSigner(TempStorageRoot.RandomBytes(32, 42), TimeSpan.FromMinutes(15), _time);

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Signed_url_names_the_download_route_with_the_literal_run_id()
    {
        var url = _signer.Sign(Path1, Now.AddMinutes(5));

        var unix = Now.AddMinutes(5).ToUnixTimeSeconds();
        url.RelativeUrl.Should().Be($"/api/v1/training_runs/3f2c:train:0/checkpoints/sampler_weights/final/download?expires={unix}&sig={url.Signature}");
        url.ExpiresAt.Should().Be(Now.AddMinutes(5));
        url.Signature.Should().MatchRegex("^[A-Za-z0-9_-]{43}$");
        _signer.Check(Path1, unix, url.Signature, Now).Should().Be(DownloadUrlValidity.Valid);
        _signer.Verify(Path1, unix, url.Signature, Now).Should().BeTrue();
    }

    [Fact]
    public void Sign_without_expiry_uses_the_clock_and_the_lifetime_truncated_to_seconds()
    {
        _time.Advance(TimeSpan.FromMilliseconds(700));

        var url = _signer.Sign(TempStorageRoot.Training("r", "w"));

        url.ExpiresAt.Should().Be(Now.AddMinutes(15));
        url.RelativeUrl.Should().StartWith("/api/v1/training_runs/r/checkpoints/weights/w/download?expires=");
        _signer.Lifetime.Should().Be(TimeSpan.FromMinutes(15));
    }

    [Fact]
    public void Tampering_with_any_field_invalidates_the_signature()
    {
        var expires = Now.AddMinutes(5);
        var url = _signer.Sign(Path1, expires);
        var unix = expires.ToUnixTimeSeconds();

        _signer.Check(TempStorageRoot.Sampler("3f2c:train:1", "final"), unix, url.Signature, Now).Should().Be(DownloadUrlValidity.InvalidSignature);
        _signer.Check(TempStorageRoot.Training("3f2c:train:0", "final"), unix, url.Signature, Now).Should().Be(DownloadUrlValidity.InvalidSignature);
        _signer.Check(TempStorageRoot.Sampler("3f2c:train:0", "final2"), unix, url.Signature, Now).Should().Be(DownloadUrlValidity.InvalidSignature);
        _signer.Check(Path1, unix + 3600, url.Signature, Now).Should().Be(DownloadUrlValidity.InvalidSignature);
        _signer.Check(Path1, unix, Flip(url.Signature), Now).Should().Be(DownloadUrlValidity.InvalidSignature);
        _signer.Check(Path1, unix, url.Signature[..^1], Now).Should().Be(DownloadUrlValidity.InvalidSignature);
        _signer.Check(Path1, unix, url.Signature + "A", Now).Should().Be(DownloadUrlValidity.InvalidSignature);
        _signer.Check(Path1, unix, "", Now).Should().Be(DownloadUrlValidity.InvalidSignature);
        _signer.Check(Path1, unix, null, Now).Should().Be(DownloadUrlValidity.InvalidSignature);
        _signer.Check(Path1, unix, new string('x', 10_000), Now).Should().Be(DownloadUrlValidity.InvalidSignature);
        _signer.Verify(Path1, unix, Flip(url.Signature), Now).Should().BeFalse();
    }

    [Fact]
    public void Another_key_does_not_accept_the_url()
    {
        var url = _signer.Sign(Path1, Now.AddMinutes(5));
        var other = new HmacDownloadUrlSigner(TempStorageRoot.RandomBytes(32, 43), TimeSpan.FromMinutes(15), _time);

        other.Check(Path1, url.ExpiresAt.ToUnixTimeSeconds(), url.Signature, Now).Should().Be(DownloadUrlValidity.InvalidSignature);
    }

    [Fact]
    public void Expired_url_is_reported_as_expired_from_the_expiry_second_on()
    {
        var url = _signer.Sign(Path1, Now.AddMinutes(5));
        var unix = url.ExpiresAt.ToUnixTimeSeconds();

        _signer.Check(Path1, unix, url.Signature, url.ExpiresAt.AddSeconds(-1)).Should().Be(DownloadUrlValidity.Valid);
        _signer.Check(Path1, unix, url.Signature, url.ExpiresAt).Should().Be(DownloadUrlValidity.Expired);
        _signer.Check(Path1, unix, url.Signature, url.ExpiresAt.AddDays(1)).Should().Be(DownloadUrlValidity.Expired);
        _signer.Verify(Path1, unix, url.Signature, url.ExpiresAt.AddDays(1)).Should().BeFalse();
        _signer.Check(Path1, unix, Flip(url.Signature), url.ExpiresAt.AddDays(1)).Should().Be(DownloadUrlValidity.InvalidSignature);
    }

    [Fact]
    public void Generated_key_is_persisted_owner_only_and_reused_after_a_restart()
    {
        var options = Options.Create(new TinkerServerOptions { DataDirectory = _temp.Base });
        var first = new HmacDownloadUrlSigner(options, _time);
        var url = first.Sign(Path1, Now.AddMinutes(5));

        var keyFile = Path.Join(_temp.Base, HmacDownloadUrlSigner.KeyFileName);
        File.Exists(keyFile).Should().BeTrue();
        Convert.FromBase64String(File.ReadAllText(keyFile)).Should().HaveCount(32);
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(keyFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var afterRestart = new HmacDownloadUrlSigner(options, _time);
        afterRestart.Check(Path1, url.ExpiresAt.ToUnixTimeSeconds(), url.Signature, Now).Should().Be(DownloadUrlValidity.Valid);
        Directory.EnumerateFiles(_temp.Base).Should().ContainSingle();
    }

    [Fact]
    public void Configured_key_wins_over_the_key_file()
    {
        var key = Convert.ToBase64String(TempStorageRoot.RandomBytes(32, 7));
        var configured = new HmacDownloadUrlSigner(Options.Create(new TinkerServerOptions { DataDirectory = _temp.Base, DownloadSigningKey = key }), _time);
        var same = new HmacDownloadUrlSigner(TempStorageRoot.RandomBytes(32, 7), TimeSpan.FromMinutes(1), _time);

        var url = configured.Sign(Path1, Now.AddMinutes(5));

        same.Verify(Path1, url.ExpiresAt.ToUnixTimeSeconds(), url.Signature, Now).Should().BeTrue();
        File.Exists(Path.Join(_temp.Base, HmacDownloadUrlSigner.KeyFileName)).Should().BeFalse();
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    public void Unusable_configured_key_fails_at_start_up(string key)
    {
        var create = () => new HmacDownloadUrlSigner(Options.Create(new TinkerServerOptions { DataDirectory = _temp.Base, DownloadSigningKey = key }), _time);

        create.Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void Non_positive_lifetime_is_refused()
    {
        var create = () => new HmacDownloadUrlSigner(TempStorageRoot.RandomBytes(32, 1), TimeSpan.Zero, _time);

        create.Should().Throw<InvalidOperationException>();
    }

    private static string Flip(string signature) =>
        (signature[0] == 'A' ? "B" : "A") + signature[1..];
}
